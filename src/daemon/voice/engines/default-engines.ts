import { availableParallelism } from 'node:os';
import { readSetting } from '../../../settings.js';
import type { SttEngine } from '../stt-engine.js';
import { DEFAULT_MODEL_DIR } from './sphinx/addon.js';
import { SphinxEngine } from './sphinx/engine.js';
import { WhisperEngine } from './whisper/engine.js';

export interface DefaultEngineOptions {
  /** PocketSphinx's model directory (the daemon passes `CAR_SPHINX_MODEL_DIR`); defaults to Debian's. */
  modelDir?: string;
  /** Where the whisper model and Silero VAD are looked for (`<state root>/models` or `CAR_MODELS_DIR`). */
  modelsDir?: string | null;
  /** Where the `whisper.model` setting is read; null reads none. */
  stateRoot?: string | null;
  /**
   * PocketSphinx decoder threads; defaults to two per core (cores counted up to 2), so up to
   * that many streams each have a thread and one stream's full-utterance decode does not hold
   * up another's live pass.
   */
  workers?: number;
  /** Loaded PocketSphinx decoders kept between sessions, in total; defaults to one per core. */
  idleDecoders?: number;
  idleMs?: number;
  /** Whisper worker threads (1) and threads per decode (one per core, at most 2). */
  whisperWorkers?: number;
  whisperDecodeThreads?: number;
}

/** PocketSphinx (`local`) and whisper.cpp (`whisper`). */
export function defaultEngines(options: DefaultEngineOptions): SttEngine[] {
  const cores = Math.min(2, availableParallelism());
  const stateRoot = options.stateRoot ?? null;
  return [
    new SphinxEngine({
      modelDir: options.modelDir ?? DEFAULT_MODEL_DIR,
      workers: options.workers ?? 2 * cores,
      idleDecoders: options.idleDecoders ?? cores,
      idleMs: options.idleMs ?? 120_000,
    }),
    new WhisperEngine({
      model: () => {
        const setting = stateRoot === null ? undefined : readSetting('whisper.model', stateRoot);
        return { modelsDir: options.modelsDir ?? null, setting: typeof setting === 'string' && setting ? setting : null };
      },
      workers: options.whisperWorkers ?? 1,
      decodeThreads: options.whisperDecodeThreads ?? cores,
    }),
  ];
}
