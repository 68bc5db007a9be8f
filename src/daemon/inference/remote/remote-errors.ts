import { APIConnectionError, APIConnectionTimeoutError, APIError } from 'openai';
import { invalidParams, limitExceeded, unavailable, type RpcError } from '../../../protocol/errors.js';
import { describeNetworkError } from '../network-error.js';

/** What a remote error names: the model and its server, never the key. */
export interface RemoteCall {
  model: string;
  url: string;
  /** Scrubbed from any server message that echoes it. */
  key: string | null;
}

/**
 * An OpenAI client error as the RPC error a local model would give: the server's status and
 * message, with the key scrubbed (some servers echo it back), `data.kind` to branch on.
 */
export function remoteError(error: unknown, call: RemoteCall): RpcError {
  const where = `remote model '${call.model}' (${call.url})`;
  const data = (kind: string, extra: Record<string, unknown> = {}) => ({ kind, model: call.model, ...extra });
  if (error instanceof APIConnectionTimeoutError)
    return unavailable(`${where}: no response from the server in time; check that it is up, or raise CAR_REMOTE_TIMEOUT_SECS`, data('remote_stalled'));
  if (error instanceof APIConnectionError) return unavailable(`${where} cannot be reached: ${describeNetworkError(error)}`, data('remote_unreachable'));
  if (error instanceof APIError && error.status !== undefined) {
    const said = scrub(serverMessage(error), call.key);
    const message = `${where}: the server answered ${error.status}${said ? `: ${said}` : ''}`;
    const status = { status: error.status };
    if (error.status === 400 || error.status === 422) return invalidParams(message, data('remote_rejected', status));
    if (error.status === 401 || error.status === 403)
      return unavailable(`${message}; check the model's API key (car models add … --api-key-env/--api-key-file)`, data('remote_auth', status));
    if (error.status === 404) return unavailable(`${message}; check the URL and the model id (car models ls)`, data('remote_not_found', status));
    if (error.status === 429) return limitExceeded(`${message}; the server is rate-limiting, retry later`, data('remote_rate_limited', status));
    return unavailable(message, data('remote_status', status));
  }
  if (error instanceof APIError)
    return unavailable(
      `${where}: the server reported an error in the stream: ${scrub(serverMessage(error), call.key) || 'no message'}`,
      data('remote_stream_error'),
    );
  return unavailable(`${where} failed: ${scrub(describeNetworkError(error), call.key)}`, data('remote_failed'));
}

function serverMessage(error: APIError): string {
  const body = error.error as { message?: unknown } | undefined;
  const text = typeof body?.message === 'string' ? body.message : error.message.replace(/^\d{3}\s*/, '');
  return text.trim().slice(0, 300);
}

/** The key, and any long run of its characters, replaced. */
export function scrub(text: string, key: string | null): string {
  if (!key) return text;
  let scrubbed = text.split(key).join('[key]');
  // A server that masks part of the key ("sk-abc…xyz") still shows its ends.
  if (key.length >= 12) for (const part of [key.slice(0, 8), key.slice(-6)]) scrubbed = scrubbed.split(part).join('[key]');
  return scrubbed;
}
