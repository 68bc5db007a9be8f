import { existsSync, readdirSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import type { Availability } from '../../stt-engine.js';
import { SILERO_VAD_FILE } from '../silero-vad.js';
import { readHeader, whisperModelProblem } from './model-file.js';

const MODEL_HINT =
  'download a whisper.cpp model (e.g. ggml-base.en.bin from huggingface.co/ggerganov/whisper.cpp) into the models directory, or pick one with `car config set whisper.model <file>`';

export interface WhisperModelConfig {
  /** `<state root>/models` or `CAR_MODELS_DIR`; null without a state root. */
  modelsDir: string | null;
  /** The `whisper.model` setting: a path, absolute or relative to the models directory. */
  setting: string | null;
}

export interface WhisperFiles {
  model: string;
  vad: string;
  /** Whether the file holds weights, not just the format (see `holdsWeights`). */
  real: boolean;
}

/** The model file the whisper engine uses, and why, in words `car models ls` prints. */
export interface WhisperModelChoice {
  path: string;
  why: string;
}

/**
 * The one rule for which file is the whisper model, shared by the engine and `models.list`:
 * the `whisper.model` setting, else the first `.bin` by name in the models directory that
 * starts like a whisper.cpp model (ggml magic and a sane header), else a `ggml-*.bin` that
 * does not, so the user hears what is wrong with it.
 */
export function whisperModelChoice({ modelsDir, setting }: WhisperModelConfig): WhisperModelChoice | null {
  if (setting) return { path: isAbsolute(setting) || modelsDir === null ? setting : join(modelsDir, setting), why: 'the `whisper.model` setting' };
  if (modelsDir === null) return null;
  let names: string[];
  try {
    names = readdirSync(modelsDir).filter((name) => name.endsWith('.bin') && !name.startsWith('.')).sort();
  } catch {
    return null;
  }
  const first = names.find((name) => whisperModelProblem(join(modelsDir, name)) === null);
  if (first) return { path: join(modelsDir, first), why: 'the first whisper.cpp model by name in the models directory' };
  // A file named like a whisper.cpp model that is not one is reported, not silently passed over.
  const misnamed = names.find((name) => name.startsWith('ggml-'));
  return misnamed ? { path: join(modelsDir, misnamed), why: 'named like a whisper.cpp model' } : null;
}

/** The model and VAD files the whisper engine would use, or why it cannot run. */
export function whisperFiles(config: WhisperModelConfig): { files: WhisperFiles } | { unavailable: Extract<Availability, { available: false }> } {
  const model = whisperModelChoice(config)?.path;
  if (!model) {
    return unavailable(config.modelsDir === null ? 'no models directory is configured' : `no whisper model (a whisper.cpp ggml .bin file) in ${config.modelsDir}`, MODEL_HINT);
  }
  if (!existsSync(model)) return unavailable(`the whisper model ${model} does not exist`, MODEL_HINT);
  const header = readHeader(model);
  if (typeof header === 'string') return unavailable(`${model} is not a usable whisper model: ${header}`, MODEL_HINT);
  const vad = join(config.modelsDir ?? '', SILERO_VAD_FILE);
  if (config.modelsDir === null || !existsSync(vad)) {
    return unavailable(`the whisper engine segments speech with Silero VAD, and ${SILERO_VAD_FILE} is not in the models directory`, `put silero_vad.onnx (github.com/snakers4/silero-vad) into ${config.modelsDir ?? 'the models directory'}`);
  }
  return { files: { model, vad, real: header.real } };
}

const unavailable = (reason: string, hint: string) => ({ unavailable: { available: false as const, reason, hint } });
