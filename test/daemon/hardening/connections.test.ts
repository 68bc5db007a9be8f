import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import WebSocket from 'ws';
import type { CarClient } from '../../../src/client/node.js';
import {
  DEFAULT_MAX_PREAUTH_CONNECTIONS,
  DEFAULT_REQUEST_TIMEOUT_MS,
  defaultMaxConnections,
  SILENT_GRACE_MS,
} from '../../../src/daemon/server/connection-gate.js';
import { startInProcess, type InProcessDaemon } from '../../helpers/in-process.js';

function bareTcp(port: number): Promise<Socket> {
  const socket = connect(port, '127.0.0.1');
  socket.on('error', () => undefined);
  return once(socket, 'connect').then(() => socket);
}

/** The HTTP status a WebSocket upgrade gets, or 101 when it opens. */
function upgradeStatus(url: string): Promise<number> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url);
    ws.on('open', () => {
      ws.terminate();
      resolve(101);
    });
    ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
    ws.on('error', () => resolve(0));
  });
}

/** Issue 12, defect 2 and Connections (docs/protocol.md#connection-limits). */
describe('connection caps and the request timeout', () => {
  let daemon: InProcessDaemon;
  let client: CarClient;
  const sockets: Socket[] = [];

  before(async () => {
    daemon = await startInProcess({}, { connections: { maxConnections: 8, maxPreAuthConnections: 3, requestTimeoutMs: 300 } });
    client = await daemon.connect();
  });
  after(async () => {
    for (const socket of sockets) socket.destroy();
    client.close();
    await daemon.close();
  });

  it('documents the defaults: 64 connections before sign-in, a 10 s request timeout, a quarter of the files limit in total', () => {
    assert.equal(DEFAULT_MAX_PREAUTH_CONNECTIONS, 64);
    assert.equal(DEFAULT_REQUEST_TIMEOUT_MS, 10_000);
    const dir = mkdtempSync(join(tmpdir(), 'car-limits-'));
    try {
      const file = join(dir, 'limits');
      writeFileSync(
        file,
        'Limit                     Soft Limit           Hard Limit           Units\nMax open files            1024                 524288               files\n',
      );
      assert.equal(defaultMaxConnections(file), 256);
      writeFileSync(file, 'Max open files            1048576              1048576              files\n');
      assert.equal(defaultMaxConnections(file), 4096);
      assert.equal(defaultMaxConnections(join(dir, 'missing')), 256);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('at the pre-auth cap a new connection closes the oldest bare one (issue 26: no 503), and a signed-in client keeps working', async () => {
    const patient = await startInProcess({}, { connections: { maxConnections: 8, maxPreAuthConnections: 3, requestTimeoutMs: 30_000 } });
    try {
      const port = Number(new URL(patient.url).port);
      const bare: Socket[] = [];
      for (let index = 0; index < 3; index++) bare.push(await bareTcp(port));
      // Silent sockets are judged once a second old; before that the newcomer would not displace them,
      // and the first would only go at the request timeout (which once made this test pass by a race).
      await new Promise((resolve) => setTimeout(resolve, SILENT_GRACE_MS + 100));
      const firstClosed = once(bare[0]!, 'close');
      const started = Date.now();
      assert.equal(await upgradeStatus(patient.url), 101);
      await firstClosed;
      assert.ok(Date.now() - started < 10_000, 'closed for the newcomer, not by the 30 s request timeout');
      assert.equal(bare[1]!.destroyed || bare[2]!.destroyed, false, 'only the oldest was closed');
      const signedIn = await patient.connect();
      assert.ok((await signedIn.call('sessions.list', {})).sessions.length >= 1);
      signedIn.close();
      for (const socket of bare) socket.destroy();
    } finally {
      await patient.close();
    }
  });

  it('closes a connection that never sends a request after the request timeout, freeing the cap', async () => {
    await Promise.all(sockets.filter((socket) => !socket.destroyed).map((socket) => once(socket, 'close')));
    assert.equal(await upgradeStatus(daemon.url), 101);
  });

  it('counts upgraded connections that have not signed in toward the pre-auth cap, closing the oldest with 1008 for a newcomer', async () => {
    const unauthenticated = await Promise.all(
      [0, 1, 2].map(
        () =>
          new Promise<WebSocket>((resolve) => {
            const ws = new WebSocket(daemon.url);
            ws.on('open', () => resolve(ws));
            ws.on('error', () => undefined);
          }),
      ),
    );
    const oldestClosed = new Promise<[number, string]>((resolve) => unauthenticated[0]!.once('close', (code, reason) => resolve([code, reason.toString()])));
    assert.equal(await upgradeStatus(daemon.url), 101);
    assert.deepEqual(await oldestClosed, [1008, 'too many connections not signed in; the oldest was closed']);
    assert.equal(unauthenticated[1]!.readyState, WebSocket.OPEN);
    for (const ws of unauthenticated) ws.terminate();
  });

  it('caps connections in total: with every connection signed in, a newcomer gets 503', async () => {
    const clients = [];
    for (let index = 0; index < 7; index++) clients.push(await daemon.connect());
    assert.equal(await upgradeStatus(daemon.url), 503);
    for (const each of clients) each.close();
  });
});
