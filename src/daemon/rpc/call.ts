import { ErrorCode, RpcError } from '../../protocol/errors.js';
import { log } from '../log.js';
import type { ClientSession } from '../sessions/client-session.js';
import { idKey, type JsonRpcId } from './envelope.js';
import type { CallContext } from './method-table.js';

/**
 * One dispatched request or notification: the handler's context and the single place
 * where its outcome is sent. Its AbortController is created only when a handler asks for
 * the signal, because most calls finish synchronously and never need one.
 */
export class Call implements CallContext {
  private controller: AbortController | null = null;
  private abortReason: Error | null = null;
  private finished = false;
  private closeAfter: { code: number; reason: string } | null = null;
  private cancelHandler: (() => void) | null = null;
  private deadline: NodeJS.Timeout | undefined;
  private readonly key: string | null;

  constructor(
    readonly session: ClientSession,
    readonly method: string,
    readonly requestId: JsonRpcId | undefined,
  ) {
    this.key = requestId === undefined ? null : idKey(requestId);
    if (this.key) session.inflight.set(this.key, this);
    session.requestsTotal++;
  }

  get signal(): AbortSignal {
    if (!this.controller) {
      this.controller = new AbortController();
      if (this.abortReason) this.controller.abort(this.abortReason);
    }
    return this.controller.signal;
  }

  abort(reason: Error): void {
    this.abortReason ??= reason;
    this.controller?.abort(reason);
  }

  onCancel(handler: () => void): void {
    this.cancelHandler = handler;
  }

  /** `$/cancelRequest` (docs/protocol.md#cancellation): the method's own way to end early, else `-32800` at once and the signal aborted. */
  cancel(): void {
    if (this.finished) return;
    if (this.cancelHandler) {
      this.cancelHandler();
      return;
    }
    const cancelled = new RpcError(ErrorCode.RequestCancelled, `request '${this.method}' was cancelled by the client ($/cancelRequest)`);
    this.finish(undefined, cancelled);
    this.abort(cancelled);
  }

  closeAfterResponse(code: number, reason: string): void {
    this.closeAfter = { code, reason };
  }

  /** Settles the call once; a late outcome (after the deadline answered) is dropped. */
  finish(result: unknown, error?: unknown): void {
    if (this.finished) return;
    this.finished = true;
    // A cancelled handler that ignores its signal must not keep the deadline timer alive.
    clearTimeout(this.deadline);
    if (this.key) this.session.inflight.delete(this.key);
    if (error === undefined) {
      if (this.requestId !== undefined) this.session.sendResult(this.requestId, result);
    } else {
      const rpcError = toRpcError(this.method, error);
      if (this.requestId === undefined)
        log.info(
          'notification handler failed',
          { session: this.session.id, method: this.method, code: rpcError.code, error: rpcError.message },
          this.session.logPeer,
        );
      else this.session.sendError(this.requestId, rpcError);
    }
    if (this.closeAfter) this.session.close(this.closeAfter.code, this.closeAfter.reason);
  }

  /** Answers `-32004` when an asynchronous handler outlives the deadline (docs/protocol.md#handler-deadline), and aborts it. */
  settleWithin(outcome: PromiseLike<unknown>, deadlineMs: number): void {
    this.deadline = setTimeout(() => {
      const exceeded = new RpcError(
        ErrorCode.DeadlineExceeded,
        `handler '${this.method}' exceeded its ${deadlineMs / 1000}s response deadline; the work may already have happened, so re-read the state before retrying`,
      );
      this.finish(undefined, exceeded);
      // The handler sees the same error as its abort reason, so what it records names the deadline.
      this.abort(exceeded);
    }, deadlineMs);
    outcome.then(
      (result) => this.finish(result),
      (error: unknown) => {
        this.finish(undefined, error ?? new Error('handler rejected without a reason'));
      },
    );
  }
}

function toRpcError(method: string, error: unknown): RpcError {
  if (error instanceof RpcError) return error;
  const message = error instanceof Error ? error.message : String(error);
  log.failure('error', 'handler failed unexpectedly', error, { method });
  return new RpcError(ErrorCode.Internal, `internal error in ${method}: ${message.slice(0, 200)}; see the daemon log for details`);
}
