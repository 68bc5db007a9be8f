import { A2UI_ENVELOPE_KINDS, type A2uiLimits } from '../../protocol/a2ui.js';
import { limitExceeded } from './limits.js';

export interface IngestFindings {
  /** Every direct envelope and every `{ "a2ui": envelope }` wrapper's envelope, in document order. */
  envelopes: Record<string, unknown>[];
  /** The first A2A task and context ids seen (`taskId`, a task's `id`, `contextId`), if any. */
  taskId: string | null;
  contextId: string | null;
}

const PLAUSIBLE_ID = /^[^\x00-\x1f\x7f]{1,256}$/;

/**
 * Walks an A2A-shaped value (message, task, artifact, JSON-RPC response or any JSON)
 * depth-first, arrays in index order, collecting A2UI envelopes (docs/protocol.md#a2ui-ingest). An object that
 * carries an envelope key is taken as an envelope and not searched further; everything
 * else is searched, so `{ "a2ui": … }` wrappers and data parts are found wherever they sit.
 */
export function findEnvelopes(payload: unknown, limits: A2uiLimits): IngestFindings {
  const found: IngestFindings = { envelopes: [], taskId: null, contextId: null };
  const visit = (node: unknown, depth: number): void => {
    if (typeof node !== 'object' || node === null) return;
    if (depth > limits.maxDepth) {
      throw limitExceeded(
        'maxDepth',
        limits.maxDepth,
        `the ingest payload nests deeper than maxDepth (${limits.maxDepth} levels); send the A2A message or task without extra wrapping`,
      );
    }
    if (Array.isArray(node)) {
      for (const item of node) visit(item, depth + 1);
      return;
    }
    const object = node as Record<string, unknown>;
    if (A2UI_ENVELOPE_KINDS.some((kind) => Object.hasOwn(object, kind))) {
      found.envelopes.push(object);
      if (found.envelopes.length > limits.maxIngestEnvelopes) {
        throw limitExceeded(
          'maxIngestEnvelopes',
          limits.maxIngestEnvelopes,
          `the payload holds more than maxIngestEnvelopes (${limits.maxIngestEnvelopes}) envelopes; split it over several a2ui.ingest calls`,
        );
      }
      return;
    }
    noteIds(object, found);
    for (const value of Object.values(object)) visit(value, depth + 1);
  };
  visit(payload, 1);
  return found;
}

function noteIds(object: Record<string, unknown>, found: IngestFindings): void {
  const plausible = (value: unknown): value is string => typeof value === 'string' && PLAUSIBLE_ID.test(value);
  if (found.taskId === null) {
    if (plausible(object.taskId)) found.taskId = object.taskId;
    else if (object.kind === 'task' && plausible(object.id)) found.taskId = object.id;
  }
  if (found.contextId === null && plausible(object.contextId)) found.contextId = object.contextId;
}
