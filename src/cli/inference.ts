import { Flags } from '@oclif/core';
import { CarError } from '../errors.js';

/** `car infer`'s model; the default is the daemon's rule (models.list marks it with the `default` role). */
export const generationModelFlag = Flags.string({
  char: 'm',
  description:
    'model name from `car models ls` [default: the `model` setting, else the most capable model there (chat template first, then size of the network), shown with the role "default"]',
});

/** `car embed`'s model. */
export const embeddingModelFlag = Flags.string({
  char: 'm',
  description:
    'model name from `car models ls` [default: the `embedding_model` setting, else `model`, else an embedding model there, else the generation default; shown with the role "embedding"]',
});

export const temperatureFlag = Flags.custom<number>({
  description: 'sampling temperature, 0 (greedy) to 2',
  parse: async (input) => {
    const value = Number(input);
    if (input.trim() === '' || !Number.isFinite(value) || value < 0 || value > 2)
      throw new CarError(`--temperature must be a number from 0 to 2, got '${input}'`, 'use 0 for greedy output, 0.7 for the usual sampling', 2);
    return value;
  },
})();

export function formatBytes(bytes: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(value >= 100 ? 0 : 1)} ${units[unit]}`;
}
