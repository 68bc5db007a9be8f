import type { z } from 'zod';
import type { DescriptorResult, MethodDescriptors } from '../../protocol/descriptor.js';
import type { ClientSession } from '../sessions/client-session.js';
import type { JsonRpcId } from './envelope.js';
import type { RawJson } from './raw-json.js';

/** What a handler sees of the call it serves; what it works on comes from its own capability. */
export interface CallContext {
  readonly session: ClientSession;
  readonly method: string;
  /** `undefined` when the client sent a notification. */
  readonly requestId: JsonRpcId | undefined;
  /** Aborted on `$/cancelRequest`, client disconnect, deadline expiry or daemon shutdown. */
  readonly signal: AbortSignal;
  /**
   * How this call answers `$/cancelRequest`, for a method that has a cancelled result of
   * its own (a stream ends with `stop_reason: "cancelled"`). Without one, the call answers
   * `-32800` and its signal aborts.
   */
  onCancel(handler: () => void): void;
  /** Close the connection right after this call's response has been sent. */
  closeAfterResponse(code: number, reason: string): void;
}

/** The gates (docs/protocol.md#gates) a method opts into. */
export interface MethodGates<P = unknown> {
  /** Only `session.auth` may run before authentication. */
  allowBeforeAuth?: boolean;
  /** Gate 5: needs `server.handshake` first (`-32005`). */
  needsHandshake?: boolean;
  /** Gate 6: host role only (`-32012`). */
  hostOnly?: boolean;
  /** Streaming methods need a request id; a notification for them is dropped. */
  requiresId?: boolean;
  /** Gate 7: opt into the high-risk approval gate for the calls this predicate selects. */
  needsApproval?: (params: P, ctx: CallContext) => boolean;
}

type Output<D> = D extends { params: infer S extends z.ZodType } ? z.output<S> : never;
type Returned<R> = R | RawJson<R>;

/** One method's implementation: a handler whose params and result the descriptor fixes, and its gates. */
export interface MethodHandler<D> extends MethodGates<Output<D>> {
  handler(params: Output<D>, ctx: CallContext): Returned<DescriptorResult<D>> | Promise<Returned<DescriptorResult<D>>>;
}

/** Exactly one handler per method of a contract: a missing, unknown or mistyped one does not compile. */
export type MethodHandlers<C extends MethodDescriptors> = { [M in keyof C]: MethodHandler<C[M]> };

/** A method ready to dispatch: its descriptor's schema, its handler and its gates. */
export interface MethodSpec extends MethodGates {
  params: z.ZodType;
  handler(params: unknown, ctx: CallContext): unknown;
}

export type MethodTable = Record<string, MethodSpec>;

/** Pairs each descriptor of `contract` with its handler: the daemon's side of the contract. */
export function implement<C extends MethodDescriptors>(contract: C, handlers: MethodHandlers<C>): MethodTable {
  const table: MethodTable = {};
  for (const name of Object.keys(contract)) table[name] = { ...(handlers[name] as MethodSpec), params: contract[name]!.params };
  return table;
}

/** Gate 7's implementation, supplied by the host capability (docs/protocol.md#approval-gate). */
export interface ApprovalGate {
  readonly enabled: boolean;
  /** Methods an embedder configured to always need approval, beyond those whose table opts in. */
  covers(method: string): boolean;
  /** Resolves when a human approved; rejects with `-32003` on deny or timeout. */
  awaitApproval(method: string, params: unknown, ctx: CallContext): Promise<void>;
}
