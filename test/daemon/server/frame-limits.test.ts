import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { after, before, describe, it } from 'node:test';
import WebSocket from 'ws';
import { MAX_FRAME_BYTES, PRE_AUTH_FRAME_BYTES } from '../../../src/daemon/server/frame-limits.js';
import { startDaemon, type DaemonProcess } from '../../helpers/daemon.js';
import { rawSocket } from '../../helpers/raw-socket.js';

/** A request whose params carry `bytes` of padding under an unknown key: the daemon answers -32602, which proves it read the frame. */
const padded = (bytes: number) => JSON.stringify({ jsonrpc: '2.0', id: 'big', method: 'sessions.list', params: { padding: 'p'.repeat(bytes) } });

/** Issue 26, item 4: frames before sign-in are capped small; after sign-in the 8 MiB limit (docs/protocol.md#liveness-and-close-codes) holds. */
describe('frame limits before and after sign-in', () => {
  let daemon: DaemonProcess;
  before(async () => {
    daemon = await startDaemon();
  });
  after(async () => {
    await daemon.stop();
  });

  it('closes a connection not signed in whose frame is over 4 KiB with 1009, saying to sign in first', async () => {
    const sock = await rawSocket(daemon.url);
    sock.ws.send(padded(PRE_AUTH_FRAME_BYTES + 1));
    const closed = await sock.closed;
    assert.equal(closed.code, 1009);
    assert.match(closed.reason, /^frame exceeds 4 KiB before sign-in; call session.auth first/);
  });

  it('reads frames up to 8 MiB once session.auth has signed the connection in (the browser path)', async () => {
    const sock = await rawSocket(daemon.url);
    sock.send({ jsonrpc: '2.0', id: 1, method: 'session.auth', params: { token: daemon.token() } });
    assert.equal((await sock.next()).result.ok, true);
    sock.ws.send(padded(MAX_FRAME_BYTES - 1024));
    assert.equal((await sock.next(20_000)).error.code, -32602);
    sock.close();
  });

  it('reads frames up to 8 MiB on a connection signed in at the upgrade, and closes one over it with 1009', async () => {
    const sock = await rawSocket(daemon.url, { authorization: `Bearer ${daemon.token()}` });
    sock.ws.send(padded(MAX_FRAME_BYTES - 1024));
    assert.equal((await sock.next(20_000)).error.code, -32602);
    sock.ws.send(padded(MAX_FRAME_BYTES + 1));
    assert.deepEqual(await sock.closed, { code: 1009, reason: 'frame exceeds 8 MiB' });
  });

  it('drops 64 connections that each announce an 8 MiB frame before sign-in, and still signs a client in', async () => {
    const sockets = await Promise.all(
      Array.from({ length: 64 }, async () => {
        const socket = connect(daemon.port, '127.0.0.1');
        socket.on('error', () => undefined);
        await once(socket, 'connect');
        socket.write(
          `GET / HTTP/1.1\r\nHost: 127.0.0.1:${daemon.port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\n\r\n`,
        );
        await once(socket, 'data');
        const header = Buffer.alloc(14);
        header[0] = 0x82;
        header[1] = 0x80 | 127;
        header.writeBigUInt64BE(BigInt(8 * 1024 * 1024 - 16), 2);
        socket.write(Buffer.concat([header, randomBytes(64 * 1024)]));
        return socket;
      }),
    );
    await Promise.all(sockets.filter((socket) => !socket.destroyed).map((socket) => once(socket, 'close')));
    const client = await daemon.connect();
    assert.ok((await client.call('sessions.list', {})).count >= 1);
    client.close();
  });
});

describe('ws internals the pre-auth limit relies on', () => {
  it('still has the receiver fields frame-limits.ts raises after sign-in', async () => {
    const daemon = await startDaemon();
    try {
      const ws = new WebSocket(daemon.url);
      await once(ws, 'open');
      const receiver = (ws as unknown as { _receiver: Record<string, unknown> })._receiver;
      for (const field of ['_maxPayload', '_maxBufferedChunks', '_maxFragments']) assert.equal(typeof receiver[field], 'number', field);
      ws.terminate();
    } finally {
      await daemon.stop();
    }
  });
});
