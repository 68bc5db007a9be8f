import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { log } from '../log.js';
import type { ClientSession, SessionChannel } from '../sessions/client-session.js';
import type { ServerState } from '../state/server-state.js';
import { BrowserSignIn } from './browser-sign-in.js';
import { handleHttpRequest } from './http-ui.js';
import {
  ConnectionGate,
  DEFAULT_MAX_PREAUTH_CONNECTIONS,
  DEFAULT_REQUEST_TIMEOUT_MS,
  defaultMaxConnections,
  type ConnectionLimits,
} from './connection-gate.js';
import { frameLimitReason, liftFrameLimits, PRE_AUTH_LIMITS, SIGNED_IN_LIMITS } from './frame-limits.js';
import type { ListenAddress } from './origin.js';
import { SIGNED_IN_HEADER } from '../../protocol/core.js';
import { checkUpgrade, type UpgradeRefusal, type UpgradeSignIn } from './upgrade-checks.js';

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
  const requestTimeoutMs = options.connections?.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
  let accepting = true;
  let listen: ListenAddress = { bind: host, port: options.port ?? 9100 };

  const live = new Map<WebSocket, ClientSession>();
  const gate = new ConnectionGate({
    maxConnections: options.connections?.maxConnections ?? defaultMaxConnections(),
    maxPreAuthConnections: options.connections?.maxPreAuthConnections ?? DEFAULT_MAX_PREAUTH_CONNECTIONS,
    requestTimeoutMs,
  });

  state.contributeStatus(() => ({ connections: gate.status() }));

  const browserSignIn = new BrowserSignIn(state.auth, state.journal, state.signIns, options.browserSessionTtlMs);
  // A plain HTTP request (or a keep-alive connection's next one) must arrive whole within the request timeout too.
  const http = createServer({ headersTimeout: requestTimeoutMs, requestTimeout: requestTimeoutMs, connectionsCheckingInterval: 1000 }, (req, res) => {
    gate.requested(req.socket);
    if (browserSignIn.handles(req)) void browserSignIn.answer(req, res);
    else handleHttpRequest(req, res);
  });
  http.on('connection', (socket: Socket) => gate.admit(socket));
  // Two servers because ws takes its frame limits per server: one for connections signed in at the upgrade (or on a daemon without auth), one for the rest.
  const serverOptions = { noServer: true, perMessageDeflate: false, clientTracking: false } as const;
  const signedInServer = new WebSocketServer({ ...serverOptions, ...SIGNED_IN_LIMITS });
  const preAuthServer = new WebSocketServer({ ...serverOptions, ...PRE_AUTH_LIMITS });
  // The 101 says how the connection was signed in, so a client that sent its token needs no session.auth to know its role.
  const signInAnswer = new WeakMap<IncomingMessage, string>();
  signedInServer.on('headers', (headers: string[], req: IncomingMessage) => headers.push(`${SIGNED_IN_HEADER}: ${signInAnswer.get(req) ?? 'off'}`));
  const alive = new WeakSet<WebSocket>();

  http.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    gate.upgrading(req.socket);
    const verdict = checkUpgrade(req, { listen, accepting, auth: state.auth, signIns: state.signIns, browserSignIn });
    if ('refusal' in verdict) return refuse(socket, verdict.refusal);
    const { signedIn } = verdict;
    if (signedIn) signInAnswer.set(req, signedIn.role);
    // Without auth every connection is signed in (as anonymous) from the start.
    const server = signedIn || !state.auth.enabled ? signedInServer : preAuthServer;
    server.handleUpgrade(req, socket, head, (ws) => accept(ws, req, socket as Socket, signedIn ?? undefined));
  });

  function accept(ws: WebSocket, req: IncomingMessage, socket: Socket, credential: UpgradeSignIn | undefined): void {
    const remote = `${(req.socket.remoteAddress ?? '').replace(/^::ffff:/, '')}:${req.socket.remotePort}`;
    const session = state.createSession(channelFor(ws, corkForTick(socket)), remote, credential);
    if (credential?.via === 'browser_session') browserSignIn.closeOnSignOut(req, session);
    live.set(ws, session);
    alive.add(ws);
    let signedIn = session.signedIn;
    limitCloseReason(ws, () => signedIn);

    let authTimer: NodeJS.Timeout | null = null;
    if (signedIn) gate.signedIn(socket);
    else {
      gate.unsigned(socket, () => {
        session.close(1008, 'too many connections not signed in; the oldest was closed', 'preauth_evicted');
        // Its file is needed now: the close frame is written, the handshake not awaited.
        setImmediate(() => ws.terminate());
      });
      authTimer = setTimeout(() => {
        if (!session.signedIn) session.close(1008, 'authentication timeout', 'auth_timeout');
      }, authTimeoutMs);
    }
    const signInSeen = () => {
      signedIn = true;
      if (authTimer) clearTimeout(authTimer);
      gate.signedIn(socket);
      liftFrameLimits(ws);
    };

    ws.on('message', (data: Buffer, isBinary: boolean) => {
      alive.add(ws);
      try {
        if (isBinary) state.dispatcher.handleBinary(session, data);
        else state.dispatcher.handleText(session, data.toString('utf8'));
        // session.auth runs synchronously, so the next frame is read with the signed-in limits.
        if (!signedIn && session.signedIn) signInSeen();
      } catch (error) {
        // Thrown into ws's receiver it would stop this socket reading for good and its close would never come.
        log.failure('error', 'frame handling failed; closing the connection', error, { session: session.id });
        session.close(1011, 'internal error', 'internal_error');
      }
    });
    ws.on('pong', () => alive.add(ws));
    ws.on('error', (error: Error & { code?: string }) => {
      if (error.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH' || error.code === 'WS_ERR_TOO_MANY_BUFFERED_PARTS' || error.code === 'WS_ERR_TOO_MANY_FRAGMENTS') {
        session.closeReason = 'frame_too_large';
        session.closeCode = error.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH' ? 1009 : 1008;
        log.warn(`${frameLimitReason(signedIn)}; closing`, { session: session.id, error: error.code }, session.logPeer);
        // ws would read (and discard) the rest of the frame until the close handshake times out; before sign-in, drop the connection
        // instead. Not before the reads already under way end: closing on unread data sends a reset, which can cost the client the 1009 and its reason.
        if (!signedIn) setImmediate(() => ws.terminate());
      } else {
        log.info('connection error', { session: session.id, error: error.message }, session.logPeer);
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
        log.info('no pong within the ping interval; terminating', { session: session.id }, session.logPeer);
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
  listen = { bind: host, port };
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

/**
 * Frames sent in one tick leave in one write, not one syscall each: the replies to a batch of
 * pipelined requests, a stream's last events and its response. The socket is uncorked once the
 * tick's callbacks and promise reactions have run, so nothing waits for a later turn.
 */
function corkForTick(socket: Socket): () => void {
  let corked = false;
  const uncork = () => {
    corked = false;
    socket.uncork();
  };
  return () => {
    if (corked) return;
    corked = true;
    socket.cork();
    process.nextTick(uncork);
  };
}

function channelFor(ws: WebSocket, cork: () => void): SessionChannel {
  return {
    send(text) {
      if (ws.readyState !== ws.OPEN) return;
      cork();
      ws.send(text, { binary: false });
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
function limitCloseReason(ws: WebSocket, signedIn: () => boolean): void {
  const close = ws.close.bind(ws);
  ws.close = (code?: number, reason?: string | Buffer) => close(code, code === 1009 && !reason ? frameLimitReason(signedIn()) : reason);
}

function closeReasonFor(code: number): string {
  if (code === 1000 || code === 1001 || code === 1005) return 'client_closed';
  if (code === 1006) return 'connection_lost';
  return `closed_${code}`;
}

/** An HTTP answer instead of the upgrade; the socket is destroyed once it is written, whatever the peer does. */
function refuse(socket: Duplex, { status, text, body, headers = {} }: UpgradeRefusal): void {
  const payload = Buffer.from(`car daemon: ${body}\n`);
  const extra = Object.entries(headers)
    .map(([name, value]) => `${name}: ${value}\r\n`)
    .join('');
  socket.on('error', () => undefined);
  socket.end(
    `HTTP/1.1 ${status} ${text}\r\n${extra}Connection: close\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${payload.length}\r\n\r\n${payload.toString()}`,
  );
  socket.once('finish', () => socket.destroy());
  setTimeout(() => socket.destroy(), 1000).unref();
}
