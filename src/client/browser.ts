import { DaemonUnreachableError } from '../errors.js';
import { Connection, type SessionOptions, type Transport } from './connection.js';

export { Connection, type CallOptions, type PendingCall, type Transport } from './connection.js';

export interface BrowserConnectOptions extends Partial<SessionOptions> {
  /** Defaults to the page's own origin (`ws://` or `wss://` + its host). */
  url?: string;
}

/**
 * The browser entry of the car client: a {@link Connection} over `globalThis.WebSocket`.
 * A page has no token file, so it passes the token (or login code exchange) itself.
 */
export async function connectBrowser(options: BrowserConnectOptions = {}): Promise<Connection> {
  const url = options.url ?? pageUrl();
  const socket = await open(url);
  const connection = new Connection(browserTransport(socket), url);
  return connection.open({
    token: options.token ?? null,
    asHost: options.asHost,
    loginCode: options.loginCode,
    memoryNamespace: options.memoryNamespace,
    handshake: options.handshake,
    clientVersion: options.clientVersion ?? 'car-browser',
  });
}

/** The part of the DOM `WebSocket` this entry uses (the project compiles without the DOM library). */
interface BrowserSocket {
  binaryType: string;
  readonly bufferedAmount: number;
  send(data: string | Uint8Array): void;
  close(code?: number): void;
  addEventListener(type: 'open' | 'error', listener: () => void, options?: { once?: boolean }): void;
  addEventListener(type: 'message', listener: (event: { data: unknown }) => void): void;
  addEventListener(type: 'close', listener: (event: { code: number; reason: string }) => void): void;
  removeEventListener(type: 'error', listener: () => void): void;
}

function pageUrl(): string {
  const { location } = globalThis as unknown as { location: { protocol: string; host: string } };
  return `${location.protocol === 'https:' ? 'wss:' : 'ws:'}//${location.host}`;
}

function browserTransport(socket: BrowserSocket): Transport {
  return {
    send: (data) => socket.send(data),
    onMessage: (handler) =>
      socket.addEventListener('message', (event) => {
        const binary = typeof event.data !== 'string';
        handler(binary ? new Uint8Array(event.data as ArrayBuffer) : (event.data as string), binary);
      }),
    onClose: (handler) => socket.addEventListener('close', (event) => handler(event.code, event.reason)),
    close: (code) => socket.close(code),
    get bufferedAmount() {
      return socket.bufferedAmount;
    },
  };
}

function open(url: string): Promise<BrowserSocket> {
  return new Promise((resolve, reject) => {
    const Socket = (globalThis as unknown as { WebSocket: new (url: string) => BrowserSocket }).WebSocket;
    const socket = new Socket(url);
    socket.binaryType = 'arraybuffer';
    const onError = () => reject(new DaemonUnreachableError(url));
    socket.addEventListener('error', onError, { once: true });
    socket.addEventListener(
      'open',
      () => {
        socket.removeEventListener('error', onError);
        resolve(socket);
      },
      { once: true },
    );
  });
}
