import { parentPort, workerData } from 'node:worker_threads';
import type { VoiceEvent } from '../../../../protocol/voice.js';
import { PcmConverter } from '../../../../audio/resample.js';
import { ENGINE_SAMPLE_RATE, UtteranceSegmenter } from './segmenter.js';
import { createDecoder, type OwnedDecoder } from './addon.js';
import type { SphinxWorkerConfig, WorkerReply, WorkerRequest } from './messages.js';

/**
 * A worker thread that owns PocketSphinx decoders and decodes every stream assigned to
 * it, one request at a time and in arrival order, off the daemon's event loop.
 */

interface Stream {
  decoder: OwnedDecoder;
  converter: PcmConverter;
  segmenter: UtteranceSegmenter;
}

const config = workerData as SphinxWorkerConfig;
const port = parentPort!;
const streams = new Map<number, Stream>();
const idle: { decoder: OwnedDecoder; since: number }[] = [];
let idleTimer: NodeJS.Timeout | null = null;

const send = (reply: WorkerReply) => port.postMessage(reply);

port.on('message', (request: WorkerRequest) => {
  if (request.op === 'discard') {
    release(request.stream, false);
    return;
  }
  try {
    handle(request);
    send({ op: 'done', ticket: request.ticket });
  } catch (error) {
    // A decoder that threw mid-utterance is in an unknown state: free it rather than reuse it.
    if (request.op !== 'open') release(request.stream, true);
    send({ op: 'done', ticket: request.ticket, error: (error as Error).message });
  }
});

function handle(request: Exclude<WorkerRequest, { op: 'discard' }>): void {
  switch (request.op) {
    case 'open': {
      const decoder = idle.pop()?.decoder ?? createDecoder(config.model);
      const emit = (event: VoiceEvent) => send({ op: 'event', stream: request.stream, event });
      streams.set(request.stream, {
        decoder,
        converter: new PcmConverter(request.sampleRate, request.channels, ENGINE_SAMPLE_RATE),
        segmenter: new UtteranceSegmenter(decoder, request.partials, emit),
      });
      return;
    }
    case 'write': {
      const stream = live(request.stream);
      stream.segmenter.process(stream.converter.convert(new Uint8Array(request.pcm)));
      return;
    }
    case 'end':
      live(request.stream).segmenter.flush();
      release(request.stream, false);
  }
}

function live(id: number): Stream {
  const stream = streams.get(id);
  if (!stream) throw new Error('the speech stream is no longer open');
  return stream;
}

/** Returns the stream's decoder to the idle pool (or frees it when the pool is full or the decoder broke). */
function release(id: number, broken: boolean): void {
  const stream = streams.get(id);
  if (!stream) return;
  streams.delete(id);
  if (broken || idle.length >= config.idleDecoders) {
    stream.decoder.free();
    return;
  }
  stream.decoder.endUtterance();
  idle.push({ decoder: stream.decoder, since: Date.now() });
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
