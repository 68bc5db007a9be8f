import type { VoiceEvent } from '../../../../protocol/voice.js';
import type { Availability, SttEngine, SttStream, SttStreamOptions } from '../../stt-engine.js';
import { DecoderThreads } from '../decoder-thread.js';
import { sphinxAvailability, sphinxModel } from './addon.js';
import type { SphinxWorkerConfig } from './worker.js';

export interface SphinxEngineOptions {
  modelDir: string;
  /** Worker threads decoding in parallel; streams are spread over them. */
  workers: number;
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
    const config = (): SphinxWorkerConfig => ({ model: sphinxModel(options.modelDir), idleDecoders: options.idleDecoders, idleMs: options.idleMs });
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

  close(): Promise<void> {
    return this.threads.close();
  }
}
