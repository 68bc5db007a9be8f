import type { VoiceEvent } from '../../../../protocol/voice.js';
import type { Availability, SttEngine, SttStream, SttStreamOptions } from '../../stt-engine.js';
import { DecoderThreads } from '../decoder-thread.js';
import { sphinxAvailability, sphinxModel } from './addon.js';
import type { SphinxWorkerConfig } from './worker.js';

export interface SphinxEngineOptions {
  modelDir: string;
  /** Worker threads decoding in parallel: a stream gets a thread of its own while there are fewer streams than this. */
  workers: number;
  /** Loaded decoders kept between sessions, in total (one on each of the first threads). */
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
      idleDecoders: threadIndex < options.idleDecoders ? 1 : 0,
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
