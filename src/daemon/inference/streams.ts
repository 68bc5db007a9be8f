import { idKey, type JsonRpcId } from '../rpc/envelope.js';
import type { ClientSession } from '../sessions/client-session.js';

export interface OpenStream {
  /** Fires when the owning session calls `inference.stream.cancel`. */
  readonly signal: AbortSignal;
  close(): void;
}

/** Running `infer_stream` calls by session and request id, for `inference.stream.cancel` (docs/protocol.md#infer_stream). */
export class StreamRegistry {
  private readonly running = new Map<string, AbortController>();

  open(session: ClientSession, requestId: JsonRpcId): OpenStream {
    const key = streamKey(session, requestId);
    const controller = new AbortController();
    this.running.set(key, controller);
    return {
      signal: controller.signal,
      close: () => {
        if (this.running.get(key) === controller) this.running.delete(key);
      },
    };
  }

  /** Only the session that started a stream can cancel it; `false` for unknown, finished or already cancelled streams. */
  cancel(session: ClientSession, requestId: JsonRpcId): boolean {
    const controller = this.running.get(streamKey(session, requestId));
    if (!controller || controller.signal.aborted) return false;
    controller.abort(new Error('cancelled by the client'));
    return true;
  }
}

const streamKey = (session: ClientSession, requestId: JsonRpcId) => `${session.id} ${idKey(requestId)}`;
