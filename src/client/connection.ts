import { CarError } from '../errors.js';
import { ErrorCode, RpcError, type RpcErrorObject } from '../protocol/errors.js';
import {
  PROTOCOL_VERSION,
  type MethodName,
  type NotificationName,
  type NotificationParamsOf,
  type ParamsOf,
  type ResultOf,
  type ServerRequestName,
  type ServerRequestParamsOf,
  type ServerRequestResultOf,
} from '../protocol/methods.js';
import type { SessionAuthResult } from '../protocol/core.js';
import { ClientTools } from './tools.js';

/**
 * What a connection needs of its transport: a WebSocket in Node (`ws`) or in a browser,
 * or an in-memory pipe in tests. Text frames carry JSON-RPC; binary frames carry audio.
 */
export interface Transport {
  send(data: string | Uint8Array): void;
  /** Called once per received frame; `binary` tells a binary frame from a text one. */
  onMessage(handler: (data: string | Uint8Array, binary: boolean) => void): void;
  onClose(handler: (code: number, reason: string) => void): void;
  close(code: number): void;
  /** Bytes queued but not yet handed to the network (0 where the transport cannot tell). */
  readonly bufferedAmount: number;
}

export interface CallOptions {
  timeoutMs?: number;
  /** Aborting rejects the call and sends `$/cancelRequest` so the daemon stops the work (docs/protocol.md#cancellation). */
  signal?: AbortSignal;
}

/** A call in flight: a promise of its result that also tells the request id (streams quote it in their notifications). */
export type PendingCall<T> = Promise<T> & { readonly id: number };

export interface SessionOptions {
  /** `null` skips `session.auth` (a `--no-auth` daemon, or a connection its upgrade signed in) unless a namespace is to be bound. */
  token: string | null;
  /** Authenticate with the host token instead of the client token. */
  asHost?: boolean;
  /** The daemon signed the connection in at the upgrade (the token went as `Authorization: Bearer`); `session.auth` then runs only to bind a namespace. */
  signedInAtUpgrade?: SessionAuthResult;
  /** Sign in with a one-time code from `session.login_code` instead of a token (the browser UI, docs/protocol.md#session-login_code). */
  loginCode?: string;
  /** Binds a memory namespace in `session.auth`. */
  memoryNamespace?: string;
  /** Negotiate the protocol version after auth (default true). */
  handshake?: boolean;
  clientVersion: string;
}

type NotificationHandler = (params: any) => void;
type RequestHandler = (params: any) => unknown;

interface Pending {
  resolve(value: unknown): void;
  reject(error: Error): void;
  cleanup(): void;
}

/**
 * The car daemon's JSON-RPC connection over any transport: correlates responses, delivers
 * notifications and binary frames, answers server requests and cancels calls. It never
 * reconnects by itself; a caller that wants to reconnect opens a new one.
 */
export class Connection {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly notificationHandlers = new Map<string, Set<NotificationHandler>>();
  private readonly requestHandlers = new Map<string, RequestHandler>();
  private readonly binaryHandlers = new Set<(frame: Uint8Array) => void>();
  private readonly closeHandlers = new Set<(code: number, reason: string) => void>();
  private closeInfo: { code: number; reason: string } | null = null;
  private clientTools: ClientTools | null = null;
  /** The `session.auth` result, when auth ran, or what the daemon said on the upgrade when the token went with it. */
  auth: SessionAuthResult | null = null;

  constructor(
    protected readonly transport: Transport,
    readonly url: string,
  ) {
    transport.onMessage((data, binary) => {
      if (!binary) this.receive(typeof data === 'string' ? data : new TextDecoder().decode(data));
      else for (const handler of this.binaryHandlers) handler(data as Uint8Array);
    });
    transport.onClose((code, reason) => {
      this.closeInfo = { code, reason };
      const error = new CarError(`connection to the daemon closed (${code}${reason ? ` ${reason}` : ''})`, 'check `car daemon status`');
      for (const pending of this.pending.values()) {
        pending.cleanup();
        pending.reject(error);
      }
      this.pending.clear();
      for (const handler of this.closeHandlers) handler(code, reason);
    });
  }

  /** Authenticates and negotiates the protocol; closes the connection if either fails. */
  async open(options: SessionOptions): Promise<this> {
    try {
      const { token, asHost, loginCode, memoryNamespace, signedInAtUpgrade } = options;
      if (signedInAtUpgrade && loginCode === undefined && memoryNamespace === undefined) this.auth = signedInAtUpgrade;
      else if (token !== null || loginCode !== undefined || memoryNamespace !== undefined) {
        // Without a token or code, session.auth only binds the namespace of a connection its upgrade signed in (the browser UI's cookie).
        const params: Record<string, string> =
          loginCode !== undefined ? { login_code: loginCode } : token === null ? {} : asHost ? { host_token: token } : { token };
        if (memoryNamespace !== undefined) params.memory_namespace = memoryNamespace;
        this.auth = (await this.request('session.auth', params)) as SessionAuthResult;
      }
      if (options.handshake !== false) await this.handshake(options.clientVersion);
      return this;
    } catch (error) {
      this.close();
      throw error;
    }
  }

  /** A typed call of a method in the protocol's contract; `.id` is its request id. */
  call<M extends MethodName>(method: M, params?: ParamsOf<M>, options?: CallOptions): PendingCall<ResultOf<M>> {
    return this.request(method, params, options) as PendingCall<ResultOf<M>>;
  }

  /** An untyped call, for methods outside the contract and for tests. */
  request(method: string, params?: unknown, options: CallOptions = {}): PendingCall<unknown> {
    if (this.closeInfo) return withId(Promise.reject(new CarError(`connection to the daemon is closed (${this.closeInfo.code})`, 'connect again')), 0);
    const id = this.nextId++;
    const promise = new Promise((resolve, reject) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const onAbort = () => {
        this.pending.delete(id);
        this.cancel(id);
        reject(options.signal?.reason ?? new Error('aborted'));
      };
      const cleanup = () => {
        if (timer) clearTimeout(timer);
        options.signal?.removeEventListener('abort', onAbort);
      };
      if (options.timeoutMs !== undefined) {
        timer = setTimeout(() => {
          this.pending.delete(id);
          reject(new CarError(`the daemon did not answer ${method} within ${options.timeoutMs} ms`, 'check `car daemon status`'));
        }, options.timeoutMs);
      }
      options.signal?.addEventListener('abort', onAbort, { once: true });
      this.pending.set(id, { resolve, reject, cleanup });
      this.transport.send(JSON.stringify({ jsonrpc: '2.0', id, method, params: params ?? {} }));
    });
    return withId(promise, id);
  }

  /** Asks the daemon to stop the request with this id (`$/cancelRequest`, docs/protocol.md#cancellation); the call still settles with the daemon's answer. */
  cancel(id: number): void {
    if (this.isOpen) this.notify('$/cancelRequest', { id });
  }

  notify(method: string, params?: unknown): void {
    this.transport.send(JSON.stringify({ jsonrpc: '2.0', method, params: params ?? {} }));
  }

  on<N extends NotificationName>(method: N, handler: (params: NotificationParamsOf<N>) => void): () => void;
  on(method: string, handler: NotificationHandler): () => void;
  on(method: string, handler: NotificationHandler): () => void {
    let handlers = this.notificationHandlers.get(method);
    if (!handlers) this.notificationHandlers.set(method, (handlers = new Set()));
    handlers.add(handler);
    return () => handlers!.delete(handler);
  }

  /** Answers daemon → client requests (docs/protocol.md#server-requests) for one method; a thrown error is sent back as its message. */
  onRequest<M extends ServerRequestName>(
    method: M,
    handler: (params: ServerRequestParamsOf<M>) => ServerRequestResultOf<M> | Promise<ServerRequestResultOf<M>>,
  ): void;
  onRequest<M extends string>(method: Exclude<M, ServerRequestName>, handler: RequestHandler): void;
  onRequest(method: string, handler: RequestHandler): void {
    this.requestHandlers.set(method, handler);
  }

  /** Tools the model may call through this connection: `client.tools.register(name, { description, parameters }, handler)`. */
  get tools(): ClientTools {
    return (this.clientTools ??= new ClientTools(this));
  }

  /** Receives binary frames from the daemon. */
  onBinary(handler: (frame: Uint8Array) => void): () => void {
    this.binaryHandlers.add(handler);
    return () => this.binaryHandlers.delete(handler);
  }

  onClose(handler: (code: number, reason: string) => void): void {
    this.closeHandlers.add(handler);
  }

  sendBinary(frame: Uint8Array): void {
    this.transport.send(frame);
  }

  /** Bytes queued on the transport, for callers that pace their sending. */
  get bufferedAmount(): number {
    return this.transport.bufferedAmount;
  }

  get isOpen(): boolean {
    return this.closeInfo === null;
  }

  close(code = 1000): void {
    if (this.isOpen) this.transport.close(code);
  }

  /** Closes and waits for the close handshake. */
  async closeAndWait(): Promise<void> {
    if (this.closeInfo) return;
    const closed = new Promise<void>((resolve) => this.onClose(() => resolve()));
    this.close();
    await closed;
  }

  private async handshake(clientVersion: string): Promise<void> {
    let result: unknown;
    try {
      result = await this.request('server.handshake', { protocol_version: PROTOCOL_VERSION, client_version: clientVersion }, { timeoutMs: 10_000 });
    } catch (error) {
      if (error instanceof RpcError && error.code === ErrorCode.MethodNotFound) throw tooOld();
      throw error;
    }
    if ((result as { protocol_version?: unknown })?.protocol_version !== PROTOCOL_VERSION) throw tooOld();
  }

  private receive(text: string): void {
    let message: { id?: unknown; method?: string; params?: unknown; result?: unknown; error?: RpcErrorObject };
    try {
      message = JSON.parse(text);
    } catch {
      return;
    }
    if (typeof message.method === 'string') {
      if (message.id === undefined) {
        for (const handler of this.notificationHandlers.get(message.method) ?? []) handler(message.params);
      } else {
        void this.answer(message.id, message.method, message.params);
      }
      return;
    }
    if (typeof message.id !== 'number') {
      if (message.error) for (const handler of this.notificationHandlers.get('rpc.error') ?? []) handler(message.error);
      return;
    }
    const pending = this.pending.get(message.id);
    if (!pending) return;
    this.pending.delete(message.id);
    pending.cleanup();
    if (message.error) pending.reject(RpcError.from(message.error));
    else pending.resolve(message.result);
  }

  private async answer(id: unknown, method: string, params: unknown): Promise<void> {
    const handler = this.requestHandlers.get(method);
    let reply: object;
    if (!handler) {
      reply = { jsonrpc: '2.0', id, error: { code: ErrorCode.MethodNotFound, message: `this client does not handle '${method}'` } };
    } else {
      try {
        reply = { jsonrpc: '2.0', id, result: (await handler(params)) ?? null };
      } catch (error) {
        reply = { jsonrpc: '2.0', id, error: { code: ErrorCode.Internal, message: (error as Error).message } };
      }
    }
    if (this.isOpen) this.transport.send(JSON.stringify(reply));
  }
}

function withId<T>(promise: Promise<T>, id: number): PendingCall<T> {
  return Object.assign(promise, { id });
}

function tooOld(): CarError {
  return new CarError(`the daemon is too old: it does not speak protocol version ${PROTOCOL_VERSION}`, 'upgrade and restart the daemon (`car daemon restart`)');
}
