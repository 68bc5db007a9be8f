import { isAbsolute, join } from 'node:path';
import type { EngineRecord } from '../engine-record.js';
import { hasGgmlMagic, whisperModelChoice, whisperModelProblem } from './model-file.js';

const MODEL_SETTING = 'whisper.model';
const MODEL_FAILURE_HINT = 'replace the file with a complete ggml model, or pick another with `car config set whisper.model <file>`';

/** whisper.cpp (`whisper`): its model is a ggml `.bin` in the models directory, or the file `whisper.model` names. */
export const whisper = {
  provider: 'whisper',
  settings: [
    {
      key: MODEL_SETTING,
      description: 'whisper.cpp model file for the whisper speech provider (a path, or a file in the models directory)',
      problem: (value, modelsDir) => whisperModelProblem(isAbsolute(value) ? value : join(modelsDir, value)),
      hint: (modelsDir) => `name a whisper.cpp model file (ggml .bin) by path or by its name in ${modelsDir}`,
    },
  ],
  modelFiles: {
    role: 'whisper',
    extension: '.bin',
    recognises: hasGgmlMagic,
    choose: (modelsDir, setting) => whisperModelChoice({ modelsDir, setting: setting(MODEL_SETTING) }),
  },
  loadFailures: {
    model: MODEL_FAILURE_HINT,
  },
  async load() {
    const { WhisperEngine } = await import('./engine.js');
    return (options) =>
      new WhisperEngine({
        model: () => ({ modelsDir: options.modelsDir ?? null, setting: options.setting(MODEL_SETTING) }),
        workers: options.whisperWorkers ?? 1,
        decodeThreads: options.whisperDecodeThreads ?? options.cores,
        modelFailureHint: MODEL_FAILURE_HINT,
      });
  },
} as const satisfies EngineRecord;
