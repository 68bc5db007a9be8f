import type { CarClient } from '../../../src/client/client.js';
import type { ServerStateConfig } from '../../../src/daemon/state/server-state.js';
import type { InferenceStreamEvent } from '../../../src/protocol/inference.js';
import { startInProcess, type InProcessDaemon } from '../../helpers/in-process.js';
import { SHARED_MODELS } from '../../helpers/paths.js';

/** The greedy TinyStories continuation every test can rely on (PROVENANCE.md: "Lily"). */
export const STORY = { model: 'stories260K', prompt: 'Once upon a time', temperature: 0 } as const;

/**
 * A daemon served in-process whose inference reads `env` (CAR_MODELS_DIR defaults to the
 * shared tiny models); the variables are set only while the state is constructed.
 */
export async function startInference(config: Partial<ServerStateConfig> = {}, env: Record<string, string | undefined> = {}): Promise<InProcessDaemon> {
  const wanted: Record<string, string | undefined> = { CAR_MODELS_DIR: SHARED_MODELS, ...env };
  const saved = Object.fromEntries(Object.keys(wanted).map((key) => [key, process.env[key]]));
  const apply = (values: Record<string, string | undefined>) => {
    for (const [key, value] of Object.entries(values)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  };
  apply(wanted);
  try {
    return await startInProcess(config);
  } finally {
    apply(saved);
  }
}

/** The `inference.stream.event`s of the stream `call` started. */
export function streamEvents(client: CarClient, call: { id: number }): InferenceStreamEvent[] {
  const requestId = call.id;
  const events: InferenceStreamEvent[] = [];
  client.on('inference.stream.event', ({ request_id, event }) => {
    if (request_id === requestId) events.push(event);
  });
  return events;
}

export const textOf = (events: InferenceStreamEvent[]) => events.map((event) => (event.type === 'text' ? event.data : '')).join('');

