import { ErrorCode, RpcError, type RpcErrorObject } from '../../protocol/errors.js';
import type { Role, Subscription } from '../../protocol/core.js';
import type { NotificationName, NotificationParamsOf, ServerRequestName, ServerRequestParamsOf, ServerRequestResultOf } from '../../protocol/methods.js';
import { log, PRE_AUTH_PEER } from '../log.js';
import { idKey, type JsonRpcId } from '../rpc/envelope.js';
import { RawJson } from '../rpc/raw-json.js';
import { randomHex } from '../ids.js';

/** A notification of the contract as one text frame, for broadcasts that serialise once for every subscriber. */
export const notificationFrame = <N extends NotificationName>(method: N, params: NotificationParamsOf<N>): string =>
  JSON.stringify({ jsonrpc: '2.0', method, params });

/** The write side of one connection, implemented by the WebSocket server. */
export interface SessionChannel {
  /** Sends one text frame; a Buffer is already UTF-8. */
  send(text: string | Buffer): void;
  close(code: number, reason: string): void;
  readonly bufferedAmount: number;
}

const CLOSE_BRACE = Buffer.from('}');

/** JSON text, or the error that stopped it (a stack overflow on deep data, a BigInt, a cycle). */
function serialize(value: unknown): string | Error {
  try {
    return JSON.stringify(value);
  } catch (error) {
    return error instanceof Error ? error : new Error(String(error));
  }
}

/** A client that stops reading is cut off once this much output is queued for it (docs/protocol.md#liveness-and-close-codes). */
export const MAX_BUFFERED_BYTES = 16 * 1024 * 1024;

interface PendingServerRequest {
  resolve(value: unknown): void;
  reject(error: Error): void;
  /** Stops the timer and the abort listener. */
  finish(): void;
}

export interface ServerRequestOptions {
  timeoutMs: number;
  signal?: AbortSignal;
}

/** A server request the client did not answer in time; its own class, so a client's error reply can never pass for one. */
export class ServerRequestTimeout extends RpcError {
  constructor(method: string, timeoutMs: number) {
    super(ErrorCode.DeadlineExceeded, `client did not answer '${method}' within ${timeoutMs / 1000}s`);
  }
}

/** One WebSocket connection's session (docs/protocol.md#transport). Capabilities keep their own per-session data keyed by `id`. */
export class ClientSession {
  readonly id = `sess-${randomHex(6)}`;
  readonly connectedAt = new Date();
  readonly connectedAtIso = this.connectedAt.toISOString();
  /** Epoch ms of the last frame received; a number because it is updated on every frame. */
  lastActivityAt = this.connectedAt.getTime();
  authenticated = false;
  private assignedRole: Role | null = null;
  private signInLogged = false;
  protocolVersion: number | null = null;
  clientVersion: string | null = null;
  memoryNamespace: string | null = null;
  readonly subscriptions = new Set<Subscription>();
  /** In-flight requests by id key, aborted on teardown. */
  readonly inflight = new Map<string, { abort(reason: Error): void; cancel(): void }>();
  requestsTotal = 0;
  /** Whether the journal knows this session (it has signed in: docs/protocol.md#journal, issue 26). */
  journaled = false;
  closed = false;
  closeCode: number | null = null;
  closeReason: string | null = null;
  private serverRequestSeq = 0;
  private readonly pendingServerRequests = new Map<string, PendingServerRequest>();

  constructor(
    readonly channel: SessionChannel,
    readonly remote: string,
  ) {}

  sendResult(id: JsonRpcId, result: unknown): void {
    if (result instanceof RawJson) {
      this.send(Buffer.concat([Buffer.from(`{"jsonrpc":"2.0","id":${JSON.stringify(id)},"result":`), ...result.parts, CLOSE_BRACE]));
      return;
    }
    const body = serialize(result ?? null);
    if (body instanceof Error) {
      log.failure('warn', 'reply could not be serialised; answering with an error', body, { session: this.id });
      this.sendError(
        id,
        new RpcError(
          ErrorCode.Internal,
          `internal error: the reply could not be serialised (${body.message.slice(0, 120)}); the request may have taken effect, so re-read the state`,
        ),
      );
      return;
    }
    this.send(`{"jsonrpc":"2.0","id":${JSON.stringify(id)},"result":${body}}`);
  }

  sendError(id: JsonRpcId | null, error: RpcError | RpcErrorObject): void {
    const body = error instanceof RpcError ? error.toJSON() : error;
    this.send(`{"jsonrpc":"2.0","id":${JSON.stringify(id)},"error":${JSON.stringify(body)}}`);
  }

  /** A notification that cannot be serialised is dropped (and logged), never thrown into the caller's loop over sessions. */
  notify<N extends NotificationName>(method: N, params: NotificationParamsOf<N>): void {
    const frame = serialize({ jsonrpc: '2.0', method, params });
    if (frame instanceof Error) log.failure('warn', 'notification could not be serialised; dropped', frame, { session: this.id, method });
    else this.send(frame);
  }

  /**
   * A daemon → client request (docs/protocol.md#server-requests) with an id `srv-<n>`: rejects with a
   * {@link ServerRequestTimeout} after `timeoutMs`, with the signal's reason when it aborts,
   * and when the client goes away. A reply that comes later matches nothing and is dropped.
   */
  request<M extends ServerRequestName>(method: M, params: ServerRequestParamsOf<M>, options: ServerRequestOptions): Promise<ServerRequestResultOf<M>>;
  /** An untyped server request, for methods outside the contract (tests, embedders); a contract method always takes the typed form. */
  request<M extends string>(method: Exclude<M, ServerRequestName>, params: unknown, options: ServerRequestOptions): Promise<unknown>;
  request(method: string, params: unknown, { timeoutMs, signal }: ServerRequestOptions): Promise<unknown> {
    const id = `srv-${++this.serverRequestSeq}`;
    return new Promise<unknown>((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      const fail = (error: Error) => {
        this.pendingServerRequests.get(id)?.finish();
        this.pendingServerRequests.delete(id);
        reject(error);
      };
      const timer = setTimeout(() => fail(new ServerRequestTimeout(method, timeoutMs)), timeoutMs);
      const onAbort = () => fail(signal!.reason);
      signal?.addEventListener('abort', onAbort, { once: true });
      const finish = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
      };
      this.pendingServerRequests.set(id, { resolve, reject, finish });
      this.send(JSON.stringify({ jsonrpc: '2.0', id, method, params }));
    });
  }

  /** Routes a client response to the server request that is waiting for it. */
  settleServerRequest(id: JsonRpcId, result: unknown, error: RpcErrorObject | undefined): void {
    const key = String(id);
    const pending = this.pendingServerRequests.get(key);
    if (!pending) {
      log.debug('response matches no pending server request; ignored', { session: this.id, id: key });
      return;
    }
    this.pendingServerRequests.delete(key);
    pending.finish();
    if (error) pending.reject(RpcError.from(error));
    else pending.resolve(result);
  }

  failServerRequests(): void {
    for (const [id, pending] of this.pendingServerRequests) {
      pending.finish();
      pending.reject(new RpcError(ErrorCode.Internal, 'client disconnected before answering'));
      this.pendingServerRequests.delete(id);
    }
  }

  abortInflight(): void {
    for (const call of this.inflight.values()) call.abort(new Error('client disconnected'));
    this.inflight.clear();
  }

  isInflight(id: JsonRpcId): boolean {
    return this.inflight.has(idKey(id));
  }

  /**
   * Queues a text frame (a Buffer holds UTF-8 JSON); a reader that has fallen 16 MiB behind
   * is disconnected. The frame just queued does not count, so one large reply never cuts
   * off a reader that has kept up.
   */
  send(text: string | Buffer): void {
    if (this.closed) return;
    this.channel.send(text);
    // A string's length undercounts its UTF-8 bytes only for non-ASCII text, and costs no scan.
    const frameBytes = text.length;
    if (this.channel.bufferedAmount - frameBytes > MAX_BUFFERED_BYTES) {
      log.warn('client is not reading; closing its connection', { session: this.id, buffered: this.channel.bufferedAmount });
      this.close(1008, 'client is not reading', 'slow_reader');
    }
  }

  close(code: number, reason: string, sessionReason = reason): void {
    if (this.closed) return;
    this.closed = true;
    this.closeCode = code;
    this.closeReason = sessionReason;
    this.channel.close(code, reason);
  }

  /** Signed in with a credential, or on a daemon without auth (role `anonymous` from the start). */
  get signedIn(): boolean {
    return this.role !== null;
  }

  /** The peer whose log rate limit lines about this session count against: connections not signed in share one. */
  get logPeer(): string {
    return this.signedIn ? this.id : PRE_AUTH_PEER;
  }

  get role(): Role | null {
    return this.assignedRole;
  }

  /**
   * Every sign-in path (the token, the host token, auth off, a token at the upgrade) sets the
   * role once the session is authenticated: that is where the daemon log notes the sign-in.
   */
  set role(role: Role | null) {
    this.assignedRole = role;
    if (!this.authenticated || role === null || this.signInLogged) return;
    this.signInLogged = true;
    log.info('session signed in', { session: this.id, role, remote: this.remote });
  }

  /** Host role rights: a host token, or any session when auth is off (docs/protocol.md#authentication). */
  get hasHostRights(): boolean {
    return this.role === 'host' || this.role === 'anonymous';
  }
}
