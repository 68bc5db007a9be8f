import { environment } from '../config/environment.js';
import WebSocket from 'ws';
import { CarError, DaemonUnreachableError } from '../errors.js';
import { DEFAULT_URL } from '../paths.js';
import { VERSION } from '../version.js';
import { Connection, type Transport } from './connection.js';
import { discoverToken } from './tokens.js';

export type { CallOptions, PendingCall } from './connection.js';

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

/**
 * The Node entry of the car client: a {@link Connection} over a `ws` WebSocket, with the
 * daemon URL, token and memory namespace discovered from the environment and state root.
 */
export class CarClient extends Connection {
  static async connect(options: ConnectOptions = {}): Promise<CarClient> {
    const url = options.url ?? environment().daemonUrl ?? DEFAULT_URL;
    const client = new CarClient(wsTransport(await open(url, options)), url);
    const token = (): string | null => (options.token === undefined ? discoverToken(options.asHost ? 'host' : 'client', options.stateRoot) : options.token);
    let sessionToken: string | null;
    try {
      sessionToken = token();
    } catch (error) {
      client.close();
      throw error;
    }
    return client.open({
      token: sessionToken,
      asHost: options.asHost,
      memoryNamespace: options.memoryNamespace ?? environment().memoryNamespace,
      handshake: options.handshake,
      clientVersion: options.clientVersion ?? `car-cli/${VERSION}`,
    });
  }
}

function wsTransport(ws: WebSocket): Transport {
  return {
    send: (data) => ws.send(data, { binary: typeof data !== 'string' }),
    onMessage: (handler) => ws.on('message', (data: Buffer, isBinary: boolean) => handler(isBinary ? data : data.toString('utf8'), isBinary)),
    onClose: (handler) => ws.on('close', (code: number, reason: Buffer) => handler(code, reason.toString())),
    close: (code) => {
      if (ws.readyState === WebSocket.OPEN || ws.readyState === WebSocket.CONNECTING) ws.close(code);
    },
    get bufferedAmount() {
      return ws.bufferedAmount;
    },
  };
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
      // 'close' follows every error and carries what callers need.
      ws.on('error', () => {});
      resolve(ws);
    });
    ws.once('error', fail);
    ws.once('unexpected-response', (_req, res) => fail(new Error(`HTTP ${res.statusCode}`)));
  });
}
