import { workerData } from 'node:worker_threads';
import { serveStreams } from '../stream-worker.js';
import { createDecoder, type OwnedDecoder, type SphinxModel } from './addon.js';
import { UtteranceSegmenter } from './segmenter.js';
import { LIVE_WINDOWS, RECORDING_WINDOWS } from './window-rules.js';

/** The PocketSphinx worker thread: streams decoded by `UtteranceSegmenter`, loaded decoders pooled between streams. */

export interface SphinxWorkerConfig {
  model: SphinxModel;
  /** Decoders kept loaded between sessions, so a new session skips the model load. */
  idleDecoders: number;
  /** An idle decoder unused this long is freed. */
  idleMs: number;
}

const config = workerData as SphinxWorkerConfig;
const idle: { decoder: OwnedDecoder; since: number }[] = [];
let idleTimer: NodeJS.Timeout | null = null;

serveStreams(({ partials, mode }, emit) => {
  const decoder = idle.pop()?.decoder ?? createDecoder(config.model);
  // The segmenter starts the decoder's stream afresh, so a pooled decoder carries nothing over.
  const segmenter = new UtteranceSegmenter(decoder, partials, emit, mode === 'live' ? LIVE_WINDOWS : RECORDING_WINDOWS);
  return {
    write: (samples) => segmenter.process(samples),
    end: () => segmenter.flush(),
    release: (broken) => release(decoder, broken),
  };
});

/** Returns a stream's decoder to the idle pool (or frees it when the pool is full or the decoder broke). */
function release(decoder: OwnedDecoder, broken: boolean): void {
  if (broken || idle.length >= config.idleDecoders) {
    decoder.free();
    return;
  }
  decoder.endUtterance();
  idle.push({ decoder, since: Date.now() });
  scheduleIdleSweep();
}

function scheduleIdleSweep(): void {
  if (idleTimer) return;
  idleTimer = setTimeout(() => {
    idleTimer = null;
    const now = Date.now();
    for (let index = idle.length - 1; index >= 0; index--) {
      if (now - idle[index]!.since < config.idleMs) continue;
      idle[index]!.decoder.free();
      idle.splice(index, 1);
    }
    if (idle.length) scheduleIdleSweep();
  }, config.idleMs);
  idleTimer.unref();
}
