import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Availability } from '../../stt-engine.js';
import { SILERO_VAD_FILE } from '../silero-vad.js';
import { readHeader, whisperModelChoice, type WhisperModelConfig } from './model-file.js';

const MODEL_HINT =
  'download a whisper.cpp model (e.g. ggml-base.en.bin from huggingface.co/ggerganov/whisper.cpp) into the models directory, or pick one with `car config set whisper.model <file>`';

export interface WhisperFiles {
  model: string;
  vad: string;
  /** Whether the file holds weights, not just the format (see `holdsWeights`). */
  real: boolean;
}

/** The model and VAD files the whisper engine would use, or why it cannot run. */
export function whisperFiles(config: WhisperModelConfig): { files: WhisperFiles } | { unavailable: Extract<Availability, { available: false }> } {
  const model = whisperModelChoice(config)?.path;
  if (!model) {
    return unavailable(
      config.modelsDir === null ? 'no models directory is configured' : `no whisper model (a whisper.cpp ggml .bin file) in ${config.modelsDir}`,
      MODEL_HINT,
    );
  }
  if (!existsSync(model)) return unavailable(`the whisper model ${model} does not exist`, MODEL_HINT);
  const header = readHeader(model);
  if (typeof header === 'string') return unavailable(`${model} is not a usable whisper model: ${header}`, MODEL_HINT);
  const vad = join(config.modelsDir ?? '', SILERO_VAD_FILE);
  if (config.modelsDir === null || !existsSync(vad)) {
    return unavailable(
      `the whisper engine segments speech with Silero VAD, and ${SILERO_VAD_FILE} is not in the models directory`,
      `put silero_vad.onnx (github.com/snakers4/silero-vad) into ${config.modelsDir ?? 'the models directory'}`,
    );
  }
  return { files: { model, vad, real: header.real } };
}

const unavailable = (reason: string, hint: string) => ({ unavailable: { available: false as const, reason, hint } });
