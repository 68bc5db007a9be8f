import { environment } from '../config/environment.js';
import WebSocket from 'ws';
import { CarError, DaemonUnreachableError } from '../errors.js';
import { DEFAULT_URL } from '../paths.js';
import { VERSION } from '../version.js';
import { SIGNED_IN_HEADER, type SessionAuthResult } from '../protocol/core.js';
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
    const token = options.token === undefined ? discoverToken(options.asHost ? 'host' : 'client', options.stateRoot) : options.token;
    // The token goes with the upgrade, so the daemon signs this connection in before any frame (issue 26);
    // one that cannot be a header value (spaces, non-ASCII) goes in session.auth as before.
    const inHeader = token !== null && HEADER_TOKEN.test(token) ? token : null;
    const { ws, signedIn } = await open(url, options, inHeader);
    if (options.asHost && signedIn?.auth_enabled && signedIn.role !== 'host') {
      ws.terminate();
      throw new CarError(
        'auth failed: the token given as the host token is not the host token',
        'use the host token: CAR_HOST_TOKEN or <state root>/run/host-token',
      );
    }
    const client = new CarClient(wsTransport(ws), url);
    return client.open({
      token,
      asHost: options.asHost,
      signedInAtUpgrade: signedIn,
      memoryNamespace: options.memoryNamespace ?? environment().memoryNamespace,
      handshake: options.handshake,
      clientVersion: options.clientVersion ?? `car-cli/${VERSION}`,
    });
  }
}

/** Visible ASCII only: what a Bearer token in an HTTP header can hold. */
const HEADER_TOKEN = /^[\x21-\x7e]+$/;

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

/** What the 101 says about signing in (`Car-Auth`), as `session.auth` would have answered; `undefined` when it says nothing (an older daemon). */
function signInAnswer(value: string | string[] | undefined): SessionAuthResult | undefined {
  if (value === 'host') return { ok: true, auth_enabled: true, role: 'host' };
  if (value === 'client') return { ok: true, auth_enabled: true };
  if (value === 'off') return { ok: true, auth_enabled: false };
  return undefined;
}

function open(url: string, options: ConnectOptions, headerToken: string | null): Promise<{ ws: WebSocket; signedIn: SessionAuthResult | undefined }> {
  return new Promise((resolve, reject) => {
    let signedIn: SessionAuthResult | undefined;
    let ws: WebSocket;
    try {
      const headers = headerToken === null ? undefined : { authorization: `Bearer ${headerToken}` };
      ws = new WebSocket(url, {
        handshakeTimeout: options.connectTimeoutMs ?? 5000,
        perMessageDeflate: false,
        maxPayload: 64 * 1024 * 1024,
        origin: options.origin,
        headers,
      });
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
    ws.once('upgrade', (response) => (signedIn = headerToken === null ? undefined : signInAnswer(response.headers[SIGNED_IN_HEADER.toLowerCase()])));
    ws.once('open', () => {
      ws.off('error', fail);
      // 'close' follows every error and carries what callers need.
      ws.on('error', () => {});
      resolve({ ws, signedIn });
    });
    ws.once('error', fail);
    ws.once('unexpected-response', (_req, res) => {
      if (res.statusCode !== 401) return fail(new Error(`HTTP ${res.statusCode}`));
      // The daemon's answer names where its token is; read it (a few hundred bytes) for the hint.
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk.slice(0, 1000 - body.length)));
      res.on('end', () => {
        ws.removeAllListeners();
        ws.on('error', () => {});
        ws.terminate();
        const hint = /; (read the token .*|ask the embedding .*)$/m.exec(body.trim())?.[1] ?? 'check CAR_AUTH_TOKEN (or CAR_HOST_TOKEN) and the token file';
        reject(new CarError(`auth failed: the daemon at ${url} refused the token (HTTP 401)`, hint));
      });
    });
  });
}
