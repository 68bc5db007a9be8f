import type { VoiceEvent } from '../../../../protocol/voice.js';
import type { Availability, SttEngine, SttStream, SttStreamOptions } from '../../stt-engine.js';
import { DecoderThreads } from '../decoder-thread.js';
import { sphinxAvailability, sphinxModel } from './addon.js';
import type { SphinxWorkerConfig } from './worker.js';

export interface SphinxEngineOptions {
  modelDir: string;
  /** Worker threads decoding in parallel: a stream gets a thread of its own while there are fewer streams than this. */
  workers: number;
  /** Loaded decoders kept between sessions, in total, spread over the threads (see `idleDecodersOnThread`). */
  idleDecoders: number;
  idleMs: number;
}

/**
 * The `local` provider: CMU PocketSphinx through the native addon, its decoders held by a
 * small pool of worker threads.
 */
export class SphinxEngine implements SttEngine {
  readonly id = 'local';
  readonly description = 'CMU PocketSphinx, US English, decoded on this machine';
  readonly languages = ['en'] as const;
  private readonly threads: DecoderThreads;

  constructor(private readonly options: SphinxEngineOptions) {
    const config = (threadIndex: number): SphinxWorkerConfig => ({
      model: sphinxModel(options.modelDir),
      idleDecoders: idleDecodersOnThread(threadIndex, options.idleDecoders, options.workers),
      idleMs: options.idleMs,
    });
    this.threads = new DecoderThreads(new URL('./worker.js', import.meta.url), config, options.workers);
  }

  availability(): Availability {
    return sphinxAvailability(this.options.modelDir);
  }

  open(options: SttStreamOptions, onEvent: (event: VoiceEvent) => void): Promise<SttStream> {
    return this.threads.open(options, onEvent);
  }

  openStreams(): number {
    return this.threads.openStreams();
  }

  threadCount(): number {
    return this.threads.threadCount();
  }

  close(): Promise<void> {
    return this.threads.close();
  }
}

/**
 * A thread's share of `total` idle decoders: the first threads get one more where it does not
 * divide evenly, as they are the first a new stream goes to (an idle thread, else a new one).
 */
export function idleDecodersOnThread(threadIndex: number, total: number, threads: number): number {
  return Math.floor(total / threads) + (threadIndex < total % threads ? 1 : 0);
}
