import { Flags } from '@oclif/core';
import type { CarClient } from '../client/node.js';
import { CarError } from '../errors.js';
import type { GenerateRequest, InferStreamResult } from '../protocol/inference.js';

/** Shared by `car infer` and `car embed`. */
export const modelFlag = Flags.string({ char: 'm', description: 'model name from `car models ls` [default: the `model` / `embedding_model` setting, else the first model file]' });

export const temperatureFlag = Flags.custom<number>({
  description: 'sampling temperature, 0 (greedy) to 2',
  parse: async (input) => {
    const value = Number(input);
    if (input.trim() === '' || !Number.isFinite(value) || value < 0 || value > 2) throw new CarError(`--temperature must be a number from 0 to 2, got '${input}'`, 'use 0 for greedy output, 0.7 for the usual sampling', 2);
    return value;
  },
})();

/**
 * Runs `infer_stream`, handing each chunk to `write` as it arrives. Ctrl-C cancels the
 * stream instead of killing the command, so the text so far still ends cleanly.
 */
export async function streamInference(client: CarClient, request: GenerateRequest, write: (chunk: string) => void): Promise<InferStreamResult> {
  const streaming = client.call('infer_stream', request);
  const unsubscribe = client.on('inference.stream.event', ({ request_id, event }) => {
    if (request_id === streaming.id && event.type === 'text') write(event.data);
  });
  const cancel = () => void client.call('inference.stream.cancel', { request_id: streaming.id }).catch(() => undefined);
  process.once('SIGINT', cancel);
  try {
    return await streaming;
  } finally {
    process.off('SIGINT', cancel);
    unsubscribe();
  }
}

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
