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
  /** PocketSphinx decoder threads; defaults to one per core, at most 2. */
  workers?: number;
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
      workers: options.workers ?? cores,
      idleDecoders: options.idleDecoders ?? 1,
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
