import { ErrorCode, RpcError } from '../../protocol/errors.js';
import type { ToolCallErrorKind, ToolCancelReason } from '../../protocol/tools.js';
import { ServerRequestTimeout, type ClientSession } from '../sessions/client-session.js';

/** A call that ended without a result; `message` is what the model reads. */
export class ToolCallFailure extends Error {
  constructor(
    readonly kind: ToolCallErrorKind,
    message: string,
  ) {
    super(message);
    this.name = 'ToolCallFailure';
  }
}

export interface ToolExecution {
  id: string;
  tool: string;
  parameters: Record<string, unknown>;
  timeoutMs: number;
}

const MAX_CLIENT_MESSAGE_CHARS = 1000;

/**
 * Sends `tools.execute` to the session that owns the tool and waits for its answer. When
 * the wait ends without one (the tool's timeout, the `infer` cancelled or past its
 * deadline) the client is told with `tools.cancel`, and a late answer is dropped.
 */
export async function executeTool(session: ClientSession, call: ToolExecution, signal?: AbortSignal): Promise<unknown> {
  const { id, tool, parameters, timeoutMs } = call;
  try {
    return await session.request(
      'tools.execute',
      { request_id: id, tool, parameters, timeout_ms: timeoutMs, attempt: 1, session_id: session.id },
      { timeoutMs, signal },
    );
  } catch (error) {
    if (error instanceof ServerRequestTimeout) {
      session.notify('tools.cancel', { request_id: id, reason: 'timeout' });
      throw new ToolCallFailure('timeout', `tool '${tool}' did not answer within ${timeoutMs} ms; it was cancelled (raise its timeout_ms if it needs longer)`);
    }
    if (signal?.aborted) {
      session.notify('tools.cancel', { request_id: id, reason: cancelReason(signal.reason) });
      throw new ToolCallFailure('cancelled', `tool '${tool}' was cancelled because the request that called it stopped`);
    }
    throw new ToolCallFailure('tool_error', clientMessage(tool, error));
  }
}

/** The deadline answers `-32004`; every other stop is the client's own cancel ($/cancelRequest, `inference.stream.cancel`). */
function cancelReason(reason: unknown): ToolCancelReason {
  return reason instanceof RpcError && reason.code === ErrorCode.DeadlineExceeded ? 'deadline' : 'cancelled';
}

function clientMessage(tool: string, error: unknown): string {
  const message =
    error instanceof Error && error.message ? error.message.slice(0, MAX_CLIENT_MESSAGE_CHARS) : 'the client answered with an error without a message';
  return `tool '${tool}' failed: ${message}`;
}
