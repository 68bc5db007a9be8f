import { randomUUID } from 'node:crypto';
import type { A2aRouteAuth, A2uiAction, A2uiRoute } from '../../protocol/a2ui.js';
import { RpcError } from '../../protocol/errors.js';

export interface ContinuationTarget {
  endpoint: string;
  taskId: string | null;
  contextId: string | null;
}

const METHOD_NOT_FOUND = -32601;
/** The A2A v1 method name first, then the v0.3 one for peers that answer -32601 (docs/protocol.md#a2ui-action). */
const SEND_METHODS = ['SendMessage', 'message/send'] as const;

class ContinuationFailed extends Error {}

/**
 * Continues an A2A task with the user's action (docs/protocol.md#a2ui-action): one JSON-RPC POST to the
 * endpoint recorded for the surface, with its route credentials and nothing else. Redirects
 * are never followed (a 3xx fails), the whole exchange is bounded by one deadline, and any
 * text that comes back is scrubbed of the credentials before it is reported.
 */
export class A2aContinuationClient {
  constructor(
    private readonly timeoutMs = 10_000,
    private readonly maxResponseBytes = 1024 * 1024,
  ) {}

  async send(target: ContinuationTarget, action: A2uiAction, auth: A2aRouteAuth | null, signal?: AbortSignal): Promise<A2uiRoute> {
    const secrets = secretsOf(auth);
    const deadline = AbortSignal.timeout(this.timeoutMs);
    const combined = signal ? AbortSignal.any([deadline, signal]) : deadline;
    const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json', ...authHeaders(auth) };
    const failed = (error: string): A2uiRoute => ({ kind: 'a2a', endpoint: target.endpoint, status: 'failed', error: redact(error, secrets) });
    try {
      for (const method of SEND_METHODS) {
        const { status, reply } = await this.post(target.endpoint, JSON.stringify(sendMessageRequest(method, target, action)), headers, combined);
        const error = reply.error as { code?: unknown; message?: unknown } | undefined;
        if (error && error.code === METHOD_NOT_FOUND && method !== SEND_METHODS.at(-1)) continue;
        if (error)
          return failed(
            `the peer answered ${method} with JSON-RPC error ${String(error.code)}${typeof error.message === 'string' ? `: ${clip(error.message)}` : ''}`,
          );
        return { kind: 'a2a', endpoint: target.endpoint, status: 'sent', http_status: status, response: redact(reply.result ?? null, secrets) };
      }
      return failed('the peer knows neither SendMessage nor message/send');
    } catch (error) {
      if (deadline.aborted) return failed(`the peer did not answer within ${Math.round(this.timeoutMs / 100) / 10} s`);
      if (signal?.aborted) {
        return failed(
          signal.reason instanceof RpcError
            ? `the call's response deadline passed before the peer answered (${signal.reason.message.split(';')[0]})`
            : 'the caller disconnected before the peer answered',
        );
      }
      if (error instanceof ContinuationFailed) return failed(error.message);
      const cause = (error as { cause?: { code?: unknown } }).cause?.code;
      return failed(`cannot reach the peer (${typeof cause === 'string' ? cause : (error as Error).name})`);
    }
  }

  private async post(
    endpoint: string,
    body: string,
    headers: Record<string, string>,
    signal: AbortSignal,
  ): Promise<{ status: number; reply: Record<string, unknown> }> {
    const response = await fetch(endpoint, { method: 'POST', headers, body, redirect: 'manual', signal });
    if (response.type === 'opaqueredirect' || (response.status >= 300 && response.status < 400)) {
      await response.body?.cancel();
      throw new ContinuationFailed(
        `the peer answered with a redirect (HTTP ${response.status || '3xx'}); redirects are not followed, so record the final URL as the endpoint`,
      );
    }
    const text = await this.readCapped(response);
    if (!response.ok) throw new ContinuationFailed(`the peer answered HTTP ${response.status}`);
    let reply: unknown;
    try {
      reply = JSON.parse(text);
    } catch {
      throw new ContinuationFailed(`the peer's reply (HTTP ${response.status}) is not JSON`);
    }
    if (typeof reply !== 'object' || reply === null || Array.isArray(reply)) throw new ContinuationFailed("the peer's reply is not a JSON-RPC response object");
    return { status: response.status, reply: reply as Record<string, unknown> };
  }

  private async readCapped(response: Response): Promise<string> {
    if (!response.body) return '';
    const chunks: Uint8Array[] = [];
    let total = 0;
    for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
      total += chunk.byteLength;
      if (total > this.maxResponseBytes) {
        await response.body.cancel().catch(() => {});
        throw new ContinuationFailed(`the peer's reply exceeds ${this.maxResponseBytes} bytes`);
      }
      chunks.push(chunk);
    }
    return Buffer.concat(chunks).toString('utf8');
  }
}

/** The A2A `SendMessage` request carrying the action as a data part (docs/protocol.md#a2ui-action). */
export function sendMessageRequest(method: string, target: ContinuationTarget, action: A2uiAction): Record<string, unknown> {
  const message: Record<string, unknown> = { messageId: randomUUID(), role: 'user' };
  if (target.taskId !== null) message.taskId = target.taskId;
  if (target.contextId !== null) message.contextId = target.contextId;
  message.parts = [{ kind: 'data', data: { a2uiAction: action } }];
  return { jsonrpc: '2.0', id: randomUUID(), method, params: { message } };
}

function authHeaders(auth: A2aRouteAuth | null): Record<string, string> {
  if (auth?.type === 'bearer') return { authorization: `Bearer ${auth.token}` };
  if (auth?.type === 'header') return { [auth.name]: auth.value };
  return {};
}

function secretsOf(auth: A2aRouteAuth | null): string[] {
  if (auth?.type === 'bearer') return [auth.token];
  if (auth?.type === 'header') return [auth.value];
  return [];
}

/** Replaces every occurrence of a credential in a value a peer sent back (strings in JSON text carry it escaped). */
function redact<T>(value: T, secrets: readonly string[]): T | string {
  if (secrets.length === 0 || value === undefined) return value;
  const text = JSON.stringify(value);
  const escaped = secrets.map((secret) => JSON.stringify(secret).slice(1, -1)).filter((form) => text.includes(form));
  if (escaped.length === 0) return value;
  const scrubbed = escaped.reduce((current, form) => current.split(form).join('[redacted]'), text);
  try {
    return JSON.parse(scrubbed) as T;
  } catch {
    return '[redacted]';
  }
}

function clip(text: string): string {
  return text.length > 200 ? `${text.slice(0, 197)}...` : text;
}
