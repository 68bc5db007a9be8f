import type { z } from 'zod';
import { CANCEL_REQUEST, cancelRequestParams } from '../../protocol/core.js';
import { ErrorCode, RpcError } from '../../protocol/errors.js';
import { log } from '../log.js';
import type { ClientSession } from '../sessions/client-session.js';
import { classifyFrame, idKey, type JsonRpcId } from './envelope.js';
import { Call } from './call.js';
import type { ApprovalGate, MethodSpec } from './method-table.js';
import type { MethodRegistry } from './registry.js';
import { nestingError } from './nesting.js';
import { paramsError } from './params.js';

export type BinaryFrameHandler = (session: ClientSession, frame: Buffer) => void;

/** What the dispatcher needs of the server: the methods, the auth policy and the gates' settings. */
export interface DispatchHost {
  readonly registry: Pick<MethodRegistry, 'get'>;
  readonly auth: { readonly enabled: boolean; readonly hint: string; readonly hostHint: string };
  readonly approvalGate: ApprovalGate | undefined;
  readonly binaryFrameHandler: BinaryFrameHandler | undefined;
  readonly handlerTimeoutMs: number;
}

/**
 * Routes every inbound frame of every session through the gates (docs/protocol.md#gates).
 * Everything up to the handler call is synchronous, so frames pipelined on one connection
 * pass the auth and handshake gates in the order they were sent.
 */
export class Dispatcher {
  /** Per method: the parse of `{}`, and whether its data is flat enough to hand out as a shallow copy. */
  private readonly emptyParams = new WeakMap<MethodSpec, { parsed: z.ZodSafeParseResult<unknown>; flat: boolean }>();

  constructor(private readonly state: DispatchHost) {}

  handleText(session: ClientSession, text: string): void {
    session.lastActivityAt = Date.now();
    const frame = classifyFrame(text);
    switch (frame.kind) {
      case 'parse_error':
        log.info('frame is not valid JSON', { session: session.id, bytes: text.length }, session.logPeer);
        session.sendError(null, new RpcError(ErrorCode.ParseError, 'parse error: the frame is not valid JSON; send one JSON-RPC 2.0 object per text frame'));
        return;
      case 'invalid':
        log.info('invalid request', { session: session.id, reason: frame.message }, session.logPeer);
        session.sendError(frame.id, new RpcError(ErrorCode.InvalidRequest, `invalid request: ${frame.message}`));
        return;
      case 'response':
        session.settleServerRequest(frame.id, frame.result, frame.error);
        return;
      case 'notification':
      case 'request':
        this.dispatch(session, frame.method, frame.params, frame.kind === 'request' ? frame.id : undefined);
    }
  }

  handleBinary(session: ClientSession, data: Buffer): void {
    session.lastActivityAt = Date.now();
    if (this.state.auth.enabled && !session.authenticated) {
      log.info('binary frame before authentication; closing', { session: session.id }, session.logPeer);
      session.close(1008, 'authenticate first', 'auth_required');
      return;
    }
    const handler = this.state.binaryFrameHandler;
    if (!handler) {
      log.info('binary frame dropped: no capability accepts binary frames', { session: session.id, bytes: data.length }, session.logPeer);
      return;
    }
    handler(session, data);
  }

  private dispatch(session: ClientSession, method: string, rawParams: unknown, id: JsonRpcId | undefined): void {
    const fail = (error: RpcError) => {
      if (id === undefined) log.info('notification failed', { session: session.id, method, code: error.code, error: error.message }, session.logPeer);
      else session.sendError(id, error);
    };

    if (id !== undefined && session.isInflight(id)) {
      session.sendError(
        id,
        new RpcError(ErrorCode.InvalidRequest, `request id ${JSON.stringify(id)} is already in use on this connection; use a fresh id per request`),
      );
      return;
    }
    const spec = this.state.registry.get(method);

    if (this.state.auth.enabled && !session.authenticated && !spec?.allowBeforeAuth) {
      if (id === undefined) {
        log.info('notification before authentication; closing', { session: session.id, method }, session.logPeer);
        session.close(1008, 'authenticate first', 'auth_required');
        return;
      }
      log.info('request before authentication; closing', { session: session.id, method }, session.logPeer);
      session.sendError(id, new RpcError(ErrorCode.AuthRequired, `authentication required: call session.auth with the token first; ${this.state.auth.hint}`));
      session.close(1008, 'authentication required', 'auth_required');
      return;
    }
    if (method === CANCEL_REQUEST && id === undefined) {
      this.cancel(session, rawParams);
      return;
    }
    if (!spec) {
      fail(
        new RpcError(
          ErrorCode.MethodNotFound,
          `method '${method}' does not exist on this daemon; check the name against rpc.discover or docs/protocol.md#method-index`,
        ),
      );
      return;
    }
    if (spec.requiresId && id === undefined) {
      log.info('notification dropped: method needs a request id', { session: session.id, method }, session.logPeer);
      return;
    }

    const params = rawParams ?? {};
    if (typeof params !== 'object' || Array.isArray(params)) {
      fail(new RpcError(ErrorCode.InvalidParams, `params must be an object for ${method}`));
      return;
    }
    const tooDeep = nestingError(method, params);
    if (tooDeep) {
      fail(tooDeep);
      return;
    }
    const parsed = isEmpty(params) ? this.parseEmpty(spec) : spec.params.safeParse(params, { reportInput: true });
    if (!parsed.success) {
      fail(paramsError(method, spec.params, parsed.error));
      return;
    }
    if (spec.needsHandshake && session.protocolVersion === null) {
      fail(new RpcError(ErrorCode.HandshakeRequired, `protocol handshake required: call server.handshake with protocol_version 2 before ${method}`));
      return;
    }
    if (spec.hostOnly && !session.hasHostRights) {
      fail(new RpcError(ErrorCode.Forbidden, `${method} needs the host role; authenticate with host_token (${this.state.auth.hostHint})`));
      return;
    }
    this.run(session, method, spec, parsed.data, id);
  }

  /** Cancels one of the session's in-flight requests; an unknown or finished id, or bad params, is ignored without a reply (docs/protocol.md#cancellation). */
  private cancel(session: ClientSession, rawParams: unknown): void {
    const parsed = cancelRequestParams.safeParse(rawParams);
    if (!parsed.success) {
      log.info('$/cancelRequest without a usable id; ignored', { session: session.id }, session.logPeer);
      return;
    }
    session.inflight.get(idKey(parsed.data.id))?.cancel();
  }

  /**
   * `{}` is the commonest params of all (listings, status) and parses the same every time, so
   * its result is parsed once per method and handed out as a fresh shallow copy.
   */
  private parseEmpty(spec: MethodSpec): z.ZodSafeParseResult<unknown> {
    let cached = this.emptyParams.get(spec);
    if (!cached) {
      const parsed = spec.params.safeParse({}, { reportInput: true });
      cached = { parsed, flat: parsed.success && isFlatObject(parsed.data) };
      this.emptyParams.set(spec, cached);
    }
    const { parsed, flat } = cached;
    if (!parsed.success) return parsed;
    return flat ? { success: true, data: { ...(parsed.data as object) } } : spec.params.safeParse({}, { reportInput: true });
  }

  private run(session: ClientSession, method: string, spec: MethodSpec, params: unknown, id: JsonRpcId | undefined): void {
    const call = new Call(session, method, id);
    const gate = this.state.approvalGate;
    let outcome: unknown;
    try {
      outcome =
        gate?.enabled && (gate.covers(method) || spec.needsApproval?.(params, call))
          ? gate.awaitApproval(method, params, call).then(() => spec.handler(params, call))
          : spec.handler(params, call);
    } catch (error) {
      call.finish(undefined, error);
      return;
    }
    if (isPromiseLike(outcome)) call.settleWithin(outcome, this.state.handlerTimeoutMs);
    else call.finish(outcome);
  }
}

const isPromiseLike = (value: unknown): value is PromiseLike<unknown> =>
  typeof value === 'object' && value !== null && typeof (value as PromiseLike<unknown>).then === 'function';

const isEmpty = (params: object): boolean => {
  for (const _ in params) return false;
  return true;
};

/** An object whose values are all primitives, so a shallow copy shares nothing mutable. */
const isFlatObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value) && Object.values(value).every((item) => item === null || typeof item !== 'object');
