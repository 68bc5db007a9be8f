import type { RpcErrorObject } from '../../protocol/errors.js';

export type JsonRpcId = string | number;

/** One inbound text frame, classified by the envelope rules (docs/protocol.md#message-kinds). */
export type InboundFrame =
  | { kind: 'request'; id: JsonRpcId; method: string; params: unknown }
  | { kind: 'notification'; method: string; params: unknown }
  | { kind: 'response'; id: JsonRpcId; result?: unknown; error?: RpcErrorObject }
  | { kind: 'invalid'; id: JsonRpcId | null; message: string }
  | { kind: 'parse_error' };

const isId = (value: unknown): value is JsonRpcId => typeof value === 'string' || typeof value === 'number';

export function classifyFrame(text: string): InboundFrame {
  let message: unknown;
  try {
    message = JSON.parse(text);
  } catch {
    return { kind: 'parse_error' };
  }
  if (Array.isArray(message)) {
    return { kind: 'invalid', id: null, message: 'batch requests are not supported; send one request per frame' };
  }
  if (message === null || typeof message !== 'object') {
    return { kind: 'invalid', id: null, message: 'a frame must be a JSON-RPC 2.0 object such as {"jsonrpc":"2.0","id":1,"method":"sessions.list"}' };
  }
  const frame = message as Record<string, unknown>;
  const hasId = 'id' in frame;
  const id = isId(frame.id) ? frame.id : null;
  if (frame.jsonrpc !== '2.0') {
    return { kind: 'invalid', id, message: 'jsonrpc must be the string "2.0"' };
  }
  if (hasId && id === null) {
    return { kind: 'invalid', id: null, message: 'id must be a number or a string (null, booleans, objects and arrays are not accepted)' };
  }
  if (typeof id === 'number' && !Number.isSafeInteger(id)) {
    // Ids must be safe integers (docs/protocol.md#message-kinds): 1e400 parses as Infinity and would be answered with "id": null, so it is never executed.
    return {
      kind: 'invalid',
      id: null,
      message: `a numeric id must be a safe integer (at most ${Number.MAX_SAFE_INTEGER} in magnitude, no fraction); use a smaller number or a string id`,
    };
  }
  if (!('method' in frame) && id !== null && ('result' in frame || 'error' in frame)) {
    return { kind: 'response', id, result: frame.result, error: frame.error as RpcErrorObject | undefined };
  }
  if (typeof frame.method !== 'string' || frame.method === '') {
    return { kind: 'invalid', id, message: 'method must be a non-empty string' };
  }
  return id === null
    ? { kind: 'notification', method: frame.method, params: frame.params }
    : { kind: 'request', id, method: frame.method, params: frame.params };
}

/** The key of a request id in a per-connection map: 1 and "1" are different ids. */
export const idKey = (id: JsonRpcId): string => (typeof id === 'number' ? `n${id}` : `s${id}`);
