import type { CarClient } from '../../../src/client/node.js';
import type { ServerStateConfig } from '../../../src/daemon/state/server-state.js';
import type { InferenceStreamEvent } from '../../../src/protocol/inference.js';
import { startInProcess, type InProcessDaemon } from '../../helpers/in-process.js';
import { SHARED_MODELS } from '../../helpers/paths.js';

/** The greedy TinyStories continuation every test can rely on (PROVENANCE.md: "Lily"). */
export const STORY = { model: 'stories260K', prompt: 'Once upon a time', temperature: 0 } as const;

/** A daemon served in-process with the shared tiny models, unless `config.modelsDir` names another directory. */
export function startInference(config: Partial<ServerStateConfig> = {}): Promise<InProcessDaemon> {
  return startInProcess({ modelsDir: SHARED_MODELS, ...config });
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
