import WebSocket from 'ws';
import { environment } from '../config/environment.js';
import { CarError, DaemonUnreachableError } from '../errors.js';
import { DEFAULT_URL } from '../paths.js';
import { ErrorCode, RpcError, type RpcErrorObject } from '../protocol/errors.js';
import { PROTOCOL_VERSION, type MethodName, type NotificationName, type NotificationParamsOf, type ParamsOf, type ResultOf } from '../protocol/methods.js';
import type { SessionAuthResult } from '../protocol/core.js';
import { VERSION } from '../version.js';
import { discoverToken } from './tokens.js';

export interface ConnectOptions {
  /** Defaults to `CAR_DAEMON_URL`, else `ws://127.0.0.1:9100`. */
  url?: string;
  /** Authenticate with the host token instead of the client token. */
  asHost?: boolean;
  /** An explicit token; `null` skips `session.auth` (a `--no-auth` daemon). Otherwise discovered from the environment or the token file. */
  token?: string | null;
  /** Binds a memory namespace in `session.auth`; defaults to `CAR_MEMORY_NAMESPACE`. */
  memoryNamespace?: string;
  /** Where to look for token files; defaults to `CAR_HOME` or `~/.car`. */
  stateRoot?: string;
  /** Negotiate the protocol version after auth (default true). */
  handshake?: boolean;
  clientVersion?: string;
  connectTimeoutMs?: number;
  /** Sent as the upgrade request's Origin header (browsers always send one). */
  origin?: string;
}

export interface CallOptions {
  timeoutMs?: number;
  signal?: AbortSignal;
}

type NotificationHandler = (params: any) => void;
type RequestHandler = (params: any) => unknown;

interface Pending {
  resolve(value: unknown): void;
  reject(error: Error): void;
  cleanup(): void;
}

/**
 * The typed JSON-RPC client of the car daemon: connects, authenticates, negotiates the
 * protocol, correlates responses, delivers notifications and answers server requests.
 * It never reconnects by itself; a caller that wants to reconnect calls `connect` again.
 */
export class CarClient {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly notificationHandlers = new Map<string, Set<NotificationHandler>>();
  private readonly requestHandlers = new Map<string, RequestHandler>();
  private readonly closeHandlers = new Set<(code: number, reason: string) => void>();
  private closeInfo: { code: number; reason: string } | null = null;
  /** The `session.auth` result, when auth ran. */
  auth: SessionAuthResult | null = null;

  private constructor(
    private readonly ws: WebSocket,
    readonly url: string,
  ) {
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      if (!isBinary) this.receive(data.toString('utf8'));
    });
    ws.on('close', (code: number, reason: Buffer) => {
      this.closeInfo = { code, reason: reason.toString() };
      const error = new CarError(`connection to the daemon closed (${code}${reason.length ? ` ${reason.toString()}` : ''})`, 'check `car daemon status`');
      for (const pending of this.pending.values()) {
        pending.cleanup();
        pending.reject(error);
      }
      this.pending.clear();
      for (const handler of this.closeHandlers) handler(code, reason.toString());
    });
    ws.on('error', () => {
      // 'close' follows and carries what callers need
    });
  }

  static async connect(options: ConnectOptions = {}): Promise<CarClient> {
    const url = options.url ?? environment().daemonUrl ?? DEFAULT_URL;
    const ws = await open(url, options);
    const client = new CarClient(ws, url);
    try {
      const token = options.token === undefined ? discoverToken(options.asHost ? 'host' : 'client', options.stateRoot) : options.token;
      const namespace = options.memoryNamespace ?? environment().memoryNamespace;
      if (token !== null || namespace !== undefined) {
        const params: Record<string, string> = options.asHost ? { host_token: token ?? '' } : { token: token ?? '' };
        if (namespace !== undefined) params.memory_namespace = namespace;
        client.auth = (await client.request('session.auth', params)) as SessionAuthResult;
      }
      if (options.handshake !== false) await client.handshake(options.clientVersion ?? `car-cli/${VERSION}`);
      return client;
    } catch (error) {
      client.close();
      throw error;
    }
  }

  /** A typed call of a method in the protocol's method map. */
  call<M extends MethodName>(method: M, params?: ParamsOf<M>, options?: CallOptions): Promise<ResultOf<M>> {
    return this.request(method, params, options) as Promise<ResultOf<M>>;
  }

  /** An untyped call, for methods outside the map and for tests. */
  request(method: string, params?: unknown, options: CallOptions = {}): Promise<unknown> {
    if (this.closeInfo) return Promise.reject(new CarError(`connection to the daemon is closed (${this.closeInfo.code})`, 'connect again'));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const onAbort = () => {
        this.pending.delete(id);
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
      this.ws.send(JSON.stringify({ jsonrpc: '2.0', id, method, params: params ?? {} }));
    });
  }

  /** The id the next request will carry (for methods whose notifications quote it). */
  peekNextId(): number {
    return this.nextId;
  }

  notify(method: string, params?: unknown): void {
    this.ws.send(JSON.stringify({ jsonrpc: '2.0', method, params: params ?? {} }));
  }

  on<N extends NotificationName>(method: N, handler: (params: NotificationParamsOf<N>) => void): () => void;
  on(method: string, handler: NotificationHandler): () => void;
  on(method: string, handler: NotificationHandler): () => void {
    let handlers = this.notificationHandlers.get(method);
    if (!handlers) this.notificationHandlers.set(method, (handlers = new Set()));
    handlers.add(handler);
    return () => handlers!.delete(handler);
  }

  /** Answers daemon → client requests (§2.3) for one method. */
  onRequest(method: string, handler: RequestHandler): void {
    this.requestHandlers.set(method, handler);
  }

  onClose(handler: (code: number, reason: string) => void): void {
    this.closeHandlers.add(handler);
  }

  sendBinary(frame: Uint8Array): void {
    this.ws.send(frame, { binary: true });
  }

  /** Resolves once queued frames have been handed to the socket. */
  get bufferedAmount(): number {
    return this.ws.bufferedAmount;
  }

  get isOpen(): boolean {
    return this.closeInfo === null;
  }

  close(code = 1000): void {
    if (this.ws.readyState === WebSocket.OPEN || this.ws.readyState === WebSocket.CONNECTING) this.ws.close(code);
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
    if (this.ws.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify(reply));
  }
}

function open(url: string, options: ConnectOptions): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    let ws: WebSocket;
    try {
      ws = new WebSocket(url, { handshakeTimeout: options.connectTimeoutMs ?? 5000, perMessageDeflate: false, maxPayload: 64 * 1024 * 1024, origin: options.origin });
    } catch (error) {
      reject(new CarError(`invalid daemon URL '${url}': ${(error as Error).message}`, 'use a ws:// URL such as ws://127.0.0.1:9100', 2));
      return;
    }
    const fail = (error: Error) => {
      ws.removeAllListeners();
      ws.on('error', () => {});
      ws.terminate();
      reject(new DaemonUnreachableError(url, (error as NodeJS.ErrnoException).code ?? error.message));
    };
    ws.once('open', () => {
      ws.off('error', fail);
      resolve(ws);
    });
    ws.once('error', fail);
    ws.once('unexpected-response', (_req, res) => fail(new Error(`HTTP ${res.statusCode}`)));
  });
}

function tooOld(): CarError {
  return new CarError(`the daemon is too old: it does not speak protocol version ${PROTOCOL_VERSION}`, 'upgrade and restart the daemon (`car daemon restart`)');
}
