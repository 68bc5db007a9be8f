import type { Connection } from '../../../src/client/connection.js';
import type { ToolCancelReason } from '../../../src/protocol/tools.js';

/** A tool whose parameters the grammar must fit: a string of at most 12 characters and one of three numbers. */
export const WEATHER = {
  description: 'Tells the weather in a city',
  parameters: {
    type: 'object',
    properties: {
      city: { type: 'string', maxLength: 12 },
      days: { enum: [1, 2, 3] },
    },
  },
} as const;

/** A greedy question on the tiny TinyStories model; it never calls a tool unless forced. */
export const ASK = { model: 'stories260K', prompt: 'What is the weather in Paris?', temperature: 0, max_tokens: 100 } as const;

/** `infer` params that force one call of `tool`. */
export const forcing = (tool: string) => ({ ...ASK, tools: [tool], tool_choice: { name: tool } });

/** Every `tools.cancel` the client receives from now on. */
export function cancelsSeen(client: Connection): { request_id: string; reason: ToolCancelReason }[] {
  const seen: { request_id: string; reason: ToolCancelReason }[] = [];
  client.on('tools.cancel', (params) => seen.push(params));
  return seen;
}

/** A handler that waits until the daemon cancels the call, then answers anyway (a late reply). */
export function waitsForCancel(started: () => void) {
  return (_parameters: Record<string, unknown>, { signal }: { signal: AbortSignal }) =>
    new Promise((resolve) => {
      started();
      signal.addEventListener('abort', () => setTimeout(() => resolve({ late: true }), 20), { once: true });
    });
}
