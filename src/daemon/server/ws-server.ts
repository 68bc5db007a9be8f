import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { log } from '../log.js';
import type { ClientSession, SessionChannel } from '../sessions/client-session.js';
import type { ServerState } from '../state/server-state.js';
import { BrowserSignIn } from './browser-sign-in.js';
import { handleHttpRequest } from './http-ui.js';
import { ConnectionGate, DEFAULT_MAX_PREAUTH_CONNECTIONS, DEFAULT_REQUEST_TIMEOUT_MS, defaultMaxConnections, type ConnectionLimits } from './connection-gate.js';
import { isAllowedOrigin } from './origin.js';

export const MAX_FRAME_BYTES = 8 * 1024 * 1024;

export interface ServeOptions {
  host?: string;
  port?: number;
  /** Ping interval and pong deadline (docs/protocol.md#liveness-and-close-codes); 30 s. */
  pingIntervalMs?: number;
  /** Time to authenticate before the connection is closed (docs/protocol.md#liveness-and-close-codes); 10 s. */
  authTimeoutMs?: number;
  /** Connection caps and the request timeout (docs/protocol.md#connection-limits). */
  connections?: Partial<ConnectionLimits>;
  /** How long the browser UI's session cookie signs a browser in (`CAR_UI_SESSION_TTL`); 12 h. */
  browserSessionTtlMs?: number;
}

export interface RunningServer {
  readonly url: string;
  readonly port: number;
  /** Stops accepting connections; sessions are closed by `ServerState.close`. */
  stopAccepting(): Promise<void>;
}

/** Serves the state's JSON-RPC protocol over WebSocket (docs/protocol.md#transport). */
export async function serve(state: ServerState, options: ServeOptions = {}): Promise<RunningServer> {
  const host = options.host ?? '127.0.0.1';
  const pingIntervalMs = options.pingIntervalMs ?? 30_000;
  const authTimeoutMs = options.authTimeoutMs ?? 10_000;
  let accepting = true;

  const live = new Map<WebSocket, ClientSession>();
  const gate = new ConnectionGate(
    {
      maxConnections: options.connections?.maxConnections ?? defaultMaxConnections(),
      maxPreAuthConnections: options.connections?.maxPreAuthConnections ?? DEFAULT_MAX_PREAUTH_CONNECTIONS,
      requestTimeoutMs: options.connections?.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
    },
    () => (state.auth.enabled ? countUnauthenticated(live.values()) : 0),
  );

  const browserSignIn = new BrowserSignIn(state.auth, state.journal, options.browserSessionTtlMs);
  const http = createServer((req, res) => {
    gate.requested(req.socket);
    if (browserSignIn.handles(req)) void browserSignIn.answer(req, res);
    else handleHttpRequest(req, res);
  });
  http.on('connection', (socket: Socket) => gate.admit(socket));
  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_FRAME_BYTES, perMessageDeflate: false, clientTracking: false });
  const alive = new WeakSet<WebSocket>();

  http.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    gate.requested(req.socket);
    if (!isAllowedOrigin(req.headers.origin)) {
      log.warn('refused an upgrade from a non-loopback Origin', { origin: req.headers.origin, remote: req.socket.remoteAddress });
      refuse(socket, 403, 'Forbidden', 'non-loopback Origin refused');
      return;
    }
    if (!accepting) {
      refuse(socket, 503, 'Service Unavailable', 'daemon is shutting down');
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => accept(ws, req, socket as Socket));
  });

  function accept(ws: WebSocket, req: IncomingMessage, socket: Socket): void {
    const remote = `${(req.socket.remoteAddress ?? '').replace(/^::ffff:/, '')}:${req.socket.remotePort}`;
    const cookie = browserSignIn.credentialAtUpgrade(req);
    const session = state.createSession(channelFor(ws), remote, cookie ?? undefined);
    if (cookie) browserSignIn.closeOnSignOut(req, session);
    live.set(ws, session);
    alive.add(ws);
    limitCloseReason(ws);

    const authTimer = state.auth.enabled
      ? setTimeout(() => {
          if (!session.authenticated) session.close(1008, 'authentication timeout', 'auth_timeout');
        }, authTimeoutMs)
      : null;

    let corked = false;
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      alive.add(ws);
      // Responses produced while this batch of frames is handled leave in one write, not one syscall each.
      if (!corked) {
        corked = true;
        socket.cork();
        process.nextTick(() => {
          corked = false;
          socket.uncork();
        });
      }
      try {
        if (isBinary) state.dispatcher.handleBinary(session, data);
        else state.dispatcher.handleText(session, data.toString('utf8'));
      } catch (error) {
        // Thrown into ws's receiver it would stop this socket reading for good and its close would never come.
        log.failure('error', 'frame handling failed; closing the connection', error, { session: session.id });
        session.close(1011, 'internal error', 'internal_error');
      }
    });
    ws.on('pong', () => alive.add(ws));
    ws.on('error', (error: Error & { code?: string }) => {
      if (error.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH') {
        session.closeReason = 'frame_too_large';
        session.closeCode = 1009;
        log.warn('frame exceeds 8 MiB; closing', { session: session.id });
      } else {
        log.info('connection error', { session: session.id, error: error.message });
      }
    });
    ws.on('close', (code: number) => {
      if (authTimer) clearTimeout(authTimer);
      live.delete(ws);
      void state.removeSession(session.id, session.closeReason ?? closeReasonFor(code), session.closeCode ?? code);
    });
  }

  const pinger = setInterval(() => {
    for (const [ws, session] of live) {
      if (!alive.has(ws)) {
        log.info('no pong within the ping interval; terminating', { session: session.id });
        session.closeReason = 'ping_timeout';
        ws.terminate();
        continue;
      }
      alive.delete(ws);
      ws.ping();
    }
  }, pingIntervalMs).unref();

  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(options.port ?? 9100, host, () => {
      http.off('error', reject);
      resolve();
    });
  });
  const port = (http.address() as AddressInfo).port;
  const url = `ws://${host.includes(':') ? `[${host}]` : host}:${port}`;
  state.url = url;

  return {
    url,
    port,
    async stopAccepting() {
      accepting = false;
      clearInterval(pinger);
      // The listening socket closes now; upgraded connections are closed by ServerState.close.
      http.close();
    },
  };
}

function countUnauthenticated(sessions: Iterable<ClientSession>): number {
  let count = 0;
  for (const session of sessions) if (!session.authenticated) count++;
  return count;
}

function channelFor(ws: WebSocket): SessionChannel {
  return {
    send(text) {
      if (ws.readyState === ws.OPEN) ws.send(text, { binary: false });
    },
    close(code, reason) {
      if (ws.readyState === ws.CLOSED) return;
      if (code === 1008 && reason === 'client is not reading') {
        // Its reader is stuck, so a close handshake would never finish.
        ws.close(code, reason);
        setTimeout(() => ws.terminate(), 1000).unref();
        return;
      }
      ws.close(code, reason);
      setTimeout(() => ws.terminate(), 5000).unref();
    },
    get bufferedAmount() {
      return ws.bufferedAmount;
    },
  };
}

/** ws closes an oversized frame's connection with 1009 and no reason; the contract spells the reason out (docs/protocol.md#liveness-and-close-codes). */
function limitCloseReason(ws: WebSocket): void {
  const close = ws.close.bind(ws);
  ws.close = (code?: number, reason?: string | Buffer) => close(code, code === 1009 && !reason ? 'frame exceeds 8 MiB' : reason);
}

function closeReasonFor(code: number): string {
  if (code === 1000 || code === 1001 || code === 1005) return 'client_closed';
  if (code === 1006) return 'connection_lost';
  return `closed_${code}`;
}

function refuse(socket: Duplex, status: number, text: string, body: string): void {
  socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: ${body.length + 1}\r\n\r\n${body}\n`);
}
