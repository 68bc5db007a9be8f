import { join } from 'node:path';
import { after, before } from 'node:test';
import { Connection, type Transport } from '../../src/client/connection.js';
import type { ClientSession, SessionChannel } from '../../src/daemon/sessions/client-session.js';
import { ServerState, type ServerStateConfig } from '../../src/daemon/state/server-state.js';
import { VERSION } from '../../src/version.js';
import { tempStateRoot } from './paths.js';

export interface InMemoryPair {
  /** The client end: the same connection class the Node and browser entries use. */
  client: Connection;
  /** The daemon's session for this client. */
  session: ClientSession;
  /** Every text frame the daemon sent this client, in order. */
  sent: string[];
}

/**
 * Connects a client to `state`'s dispatcher with no socket (like fastify's `inject()`):
 * frames cross in a microtask each way, closing either end tears the session down as a
 * WebSocket close would. For fast tests of rpc/ and of each capability.
 */
export function connectInMemory(state: ServerState, remote = 'in-memory:0'): InMemoryPair {
  const messageHandlers: ((data: string | Uint8Array, binary: boolean) => void)[] = [];
  const closeHandlers: ((code: number, reason: string) => void)[] = [];
  const sent: string[] = [];
  let closed = false;
  const closeBoth = (code: number, reason: string) => {
    if (closed) return;
    closed = true;
    queueMicrotask(() => {
      for (const handler of closeHandlers) handler(code, reason);
      void state.removeSession(session.id, session.closeReason ?? 'client_closed', session.closeCode ?? code);
    });
  };
  const channel: SessionChannel = {
    send(text) {
      if (closed) return;
      const frame = typeof text === 'string' ? text : text.toString('utf8');
      sent.push(frame);
      queueMicrotask(() => {
        for (const handler of messageHandlers) handler(frame, false);
      });
    },
    close: closeBoth,
    bufferedAmount: 0,
  };
  const session = state.createSession(channel, remote);
  const transport: Transport = {
    send(data) {
      if (closed) return;
      queueMicrotask(() => {
        if (typeof data === 'string') state.dispatcher.handleText(session, data);
        else state.dispatcher.handleBinary(session, Buffer.from(data));
      });
    },
    onMessage: (handler) => messageHandlers.push(handler),
    onClose: (handler) => closeHandlers.push(handler),
    close: (code) => closeBoth(code, ''),
    bufferedAmount: 0,
  };
  return { client: new Connection(transport, 'in-memory://'), session, sent };
}

/** An in-memory client that has authenticated (when auth is on) and done the handshake. */
export async function openInMemory(state: ServerState, options: { asHost?: boolean; memoryNamespace?: string } = {}): Promise<InMemoryPair> {
  const pair = connectInMemory(state);
  const { token, hostToken } = state.auth.revealTokens();
  await pair.client.open({
    token: state.auth.enabled ? ((options.asHost ? hostToken : token) ?? null) : null,
    asHost: options.asHost,
    memoryNamespace: options.memoryNamespace,
    clientVersion: `car-test/${VERSION}`,
  });
  return pair;
}

export interface InMemoryFixture {
  readonly state: ServerState;
  /** An opened client session (not host). */
  readonly client: Connection;
}

/**
 * Inside a `describe`: before its tests, a fresh ServerState on a temp state root (`config`
 * sees the root) with one opened client; after them, both closed. For a capability's unit tests.
 */
export function inMemoryFixture(config: (root: string) => Omit<ServerStateConfig, 'journalDir'> = () => ({})): InMemoryFixture {
  let state: ServerState | undefined;
  let client: Connection | undefined;
  before(async () => {
    const root = tempStateRoot();
    state = ServerState.withConfig({ journalDir: join(root, 'journals'), ...config(root) });
    ({ client } = await openInMemory(state));
  });
  after(async () => {
    client?.close();
    await state?.close('test_done');
  });
  return {
    get state() {
      return state!;
    },
    get client() {
      return client!;
    },
  };
}
