import { basename } from 'node:path';
import type { VoiceEvent } from '../../../../protocol/voice.js';
import type { Availability, SttEngine, SttStream, SttStreamOptions } from '../../stt-engine.js';
import { DecoderThreads } from '../decoder-thread.js';
import { EngineLoadFailure } from '../engine-record.js';
import type { WhisperModelConfig } from './model-file.js';
import { whisperFiles } from './model.js';
import type { WhisperWorkerConfig } from './worker.js';

export interface WhisperEngineOptions {
  /** Where the model is found; read at every availability check, so a model dropped in later is picked up. */
  model: () => WhisperModelConfig;
  /** Worker threads, each holding the model once; streams are spread over them. */
  workers: number;
  /** Threads each decode uses inside whisper.cpp. */
  decodeThreads: number;
  /** What to do about a model whisper.cpp refused to load (the record's `model` load failure). */
  modelFailureHint: string;
}

/**
 * The `whisper` provider: whisper.cpp through @napi-rs/whisper, with Silero VAD cutting
 * the utterances. Decoding is synchronous in the binding, so it runs on worker threads:
 * at most `workers × decodeThreads` cores decode at once.
 */
export class WhisperEngine implements SttEngine {
  readonly id = 'whisper';
  readonly description = 'whisper.cpp (ggml model from the models directory), decoded on this machine';
  readonly languages = ['en'] as const;
  private readonly pools = new Map<string, DecoderThreads>();
  /** Models whisper.cpp refused to load, with its reason, so the next start says so at once. */
  private readonly failedLoads = new Map<string, string>();

  constructor(private readonly options: WhisperEngineOptions) {}

  availability(): Availability {
    const found = whisperFiles(this.options.model());
    if ('unavailable' in found) return found.unavailable;
    const failure = this.failedLoads.get(found.files.model);
    if (failure) return { available: false, reason: failure, hint: this.options.modelFailureHint };
    if (!found.files.real) {
      return {
        available: true,
        warning: `${basename(found.files.model)} has no real weights (whisper.cpp's test model): it loads, but transcribes nothing`,
        hint: 'put a real ggml model (e.g. ggml-base.en.bin) in the models directory, or name one with `car config set whisper.model <file>`',
      };
    }
    return { available: true };
  }

  /** The default provider only with a real model: whisper.cpp's weightless test model transcribes nothing. */
  preferred(): boolean {
    const found = whisperFiles(this.options.model());
    return !('unavailable' in found) && found.files.real && !this.failedLoads.has(found.files.model);
  }

  async open(options: SttStreamOptions, onEvent: (event: VoiceEvent) => void): Promise<SttStream> {
    const found = whisperFiles(this.options.model());
    if ('unavailable' in found) throw new Error(found.unavailable.reason);
    const { model, vad } = found.files;
    try {
      return await this.poolFor(model, vad).open(options, onEvent);
    } catch (error) {
      if (error instanceof EngineLoadFailure && error.kind === 'model') this.failedLoads.set(model, error.message);
      throw error;
    }
  }

  openStreams(): number {
    return [...this.pools.values()].reduce((sum, pool) => sum + pool.openStreams(), 0);
  }

  /** Worker threads started so far, across models. */
  threadCount(): number {
    return [...this.pools.values()].reduce((sum, pool) => sum + pool.threadCount(), 0);
  }

  async close(): Promise<void> {
    await Promise.all([...this.pools.values()].map((pool) => pool.close()));
  }

  /** One pool per model file, so changing `whisper.model` takes effect for new sessions. */
  private poolFor(model: string, vad: string): DecoderThreads {
    let pool = this.pools.get(model);
    if (!pool) {
      const config: WhisperWorkerConfig = { model, vad, decodeThreads: this.options.decodeThreads };
      pool = new DecoderThreads(new URL('./worker.js', import.meta.url), () => config, this.options.workers);
      this.pools.set(model, pool);
    }
    return pool;
  }
}
