import type { z } from 'zod';
import type { ClientSession } from '../sessions/client-session.js';
import type { ServerState } from '../state/server-state.js';
import type { JsonRpcId } from './envelope.js';

/** What a handler sees of the call it serves. */
export interface CallContext {
  readonly state: ServerState;
  readonly session: ClientSession;
  readonly method: string;
  /** `undefined` when the client sent a notification. */
  readonly requestId: JsonRpcId | undefined;
  /** Aborted on client disconnect, deadline expiry or daemon shutdown. */
  readonly signal: AbortSignal;
  /** Close the connection right after this call's response has been sent. */
  closeAfterResponse(code: number, reason: string): void;
}

/**
 * One row of a namespace's method table: the params schema, the handler and the gates
 * of PROTOCOL.md §4.2 that apply to it.
 */
export interface MethodSpec<S extends z.ZodType = z.ZodType> {
  params: S;
  handler: (params: z.output<S>, ctx: CallContext) => unknown;
  /** Only `session.auth` may run before authentication. */
  allowBeforeAuth?: boolean;
  /** Gate 5: needs `server.handshake` first (`-32005`). */
  needsHandshake?: boolean;
  /** Gate 6: host role only (`-32012`). */
  hostOnly?: boolean;
  /** Streaming methods need a request id; a notification for them is dropped. */
  requiresId?: boolean;
  /** Gate 7: opt into the high-risk approval gate for the calls this predicate selects. */
  needsApproval?: (params: z.output<S>, ctx: CallContext) => boolean;
}

export type MethodTable = Record<string, MethodSpec<any>>;

/** Declares one method with its params type inferred from the schema. */
export function method<S extends z.ZodType>(spec: MethodSpec<S>): MethodSpec<S> {
  return spec;
}

/** Gate 7's implementation, supplied by the host capability (PROTOCOL.md §13). */
export interface ApprovalGate {
  readonly enabled: boolean;
  /** Methods an embedder configured to always need approval, beyond those whose table opts in. */
  covers(method: string): boolean;
  /** Resolves when a human approved; rejects with `-32003` on deny or timeout. */
  awaitApproval(method: string, params: unknown, ctx: CallContext): Promise<void>;
}
