import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { z } from 'zod';
import { implement } from '../../../src/daemon/rpc/method-table.js';
import { defineMethods, returns } from '../../../src/protocol/descriptor.js';
import { startInProcess, type InProcessDaemon } from '../../helpers/in-process.js';
import { rawSocket, type RawSocket } from '../../helpers/raw-socket.js';
import { waitFor } from '../../helpers/wait.js';

/** Every row of the input table of docs/protocol.md#message-kinds, over raw sockets to a real server. */
describe('JSON-RPC envelope (docs/protocol.md#message-kinds)', () => {
  let daemon: InProcessDaemon;
  let sock: RawSocket;

  before(async () => {
    daemon = await startInProcess();
    const testMethods = defineMethods({
      'test.sleep': { params: z.strictObject({ ms: z.number().int().min(0) }), result: returns<{ slept: number }>() },
      'test.big_reply': { params: z.strictObject({ bytes: z.number().int().min(1) }), result: returns<{ text: string }>() },
      'test.ask_client': { params: z.strictObject({ question: z.string() }), result: returns<unknown>() },
    });
    daemon.state.registry.register(
      implement(testMethods, {
        'test.sleep': {
          handler: ({ ms }, { signal }) =>
            new Promise((resolve) => {
              const timer = setTimeout(() => resolve({ slept: ms }), ms);
              signal.addEventListener('abort', () => clearTimeout(timer));
            }),
        },
        'test.big_reply': { handler: ({ bytes }) => ({ text: 'b'.repeat(bytes) }) },
        'test.ask_client': { handler: ({ question }, { session }) => session.request('test.answer', { question }, { timeoutMs: 5000 }) },
      }),
    );
    sock = await authed(daemon);
  });
  after(async () => {
    sock.close();
    await daemon.close();
  });

  it('answers a frame that is not JSON with -32700 and id null, and keeps the connection', async () => {
    sock.send('{not json');
    const reply = await sock.next();
    assert.equal(reply.error.code, -32700);
    assert.equal(reply.id, null);
    assert.match(reply.error.message, /not valid JSON/);
    await assertStillServing(sock);
  });

  for (const [label, frame, expectedId] of [
    ['a JSON number', 42, null],
    ['a string', '"hello"', null],
    ['jsonrpc "1.0"', { jsonrpc: '1.0', id: 7, method: 'sessions.list' }, 7],
    ['a missing jsonrpc', { id: 'a', method: 'sessions.list' }, 'a'],
    ['a non-string method', { jsonrpc: '2.0', id: 8, method: 12 }, 8],
    ['a boolean id', { jsonrpc: '2.0', id: true, method: 'sessions.list' }, null],
    ['an object id', { jsonrpc: '2.0', id: { a: 1 }, method: 'sessions.list' }, null],
    ['an array id', { jsonrpc: '2.0', id: [1], method: 'sessions.list' }, null],
    ['a null id', { jsonrpc: '2.0', id: null, method: 'sessions.list' }, null],
  ] as const) {
    it(`answers ${label} with -32600`, async () => {
      sock.send(typeof frame === 'string' ? frame : JSON.stringify(frame));
      const reply = await sock.next();
      assert.equal(reply.error.code, -32600);
      assert.deepEqual(reply.id, expectedId);
    });
  }

  it('refuses batches with one -32600 that says to send one request per frame', async () => {
    sock.send([{ jsonrpc: '2.0', id: 1, method: 'sessions.list' }]);
    const reply = await sock.next();
    assert.equal(reply.error.code, -32600);
    assert.match(reply.error.message, /batch requests are not supported; send one request per frame/);
  });

  it('treats omitted and null params as {}', async () => {
    sock.send({ jsonrpc: '2.0', id: 'p1', method: 'sessions.list' });
    assert.ok(Array.isArray((await sock.next()).result.sessions));
    sock.send({ jsonrpc: '2.0', id: 'p2', method: 'sessions.list', params: null });
    assert.ok(Array.isArray((await sock.next()).result.sessions));
  });

  it('refuses array params with -32602 "params must be an object"', async () => {
    sock.send({ jsonrpc: '2.0', id: 3, method: 'sessions.list', params: [] });
    const reply = await sock.next();
    assert.equal(reply.error.code, -32602);
    assert.match(reply.error.message, /params must be an object/);
  });

  it('refuses unknown params keys with -32602 naming the key and the allowed ones', async () => {
    sock.send({ jsonrpc: '2.0', id: 4, method: 'server.handshake', params: { protocol_version: 2, colour: 'red' } });
    const reply = await sock.next();
    assert.equal(reply.error.code, -32602);
    assert.match(reply.error.message, /'colour'/);
    assert.match(reply.error.message, /allowed: protocol_version, client_version/);
    assert.deepEqual(reply.error.data.allowed, ['protocol_version', 'client_version']);
  });

  it('names the field and the expected type for a wrong type', async () => {
    sock.send({ jsonrpc: '2.0', id: 5, method: 'test.sleep', params: { ms: 'soon' } });
    const reply = await sock.next();
    assert.equal(reply.error.code, -32602);
    assert.match(reply.error.message, /param 'ms' for test\.sleep: expected number, got string/);
    assert.equal(reply.error.data.field, 'ms');
  });

  it('answers an unknown method with -32601 naming it', async () => {
    sock.send({ jsonrpc: '2.0', id: 6, method: 'no.such_method' });
    const reply = await sock.next();
    assert.equal(reply.error.code, -32601);
    assert.match(reply.error.message, /'no\.such_method'/);
  });

  it('never answers a notification, even one that fails', async () => {
    sock.send({ jsonrpc: '2.0', method: 'sessions.list' });
    sock.send({ jsonrpc: '2.0', method: 'no.such_method' });
    sock.send({ jsonrpc: '2.0', method: 'test.sleep', params: { ms: 'x' } });
    await assertStillServing(sock);
  });

  it('refuses a request id already in flight on the same connection', async () => {
    sock.send({ jsonrpc: '2.0', id: 'dup', method: 'test.sleep', params: { ms: 300 } });
    sock.send({ jsonrpc: '2.0', id: 'dup', method: 'sessions.list' });
    const first = await sock.next();
    assert.equal(first.id, 'dup');
    assert.equal(first.error.code, -32600);
    assert.match(first.error.message, /request id "dup" is already in use on this connection/);
    const second = await sock.next();
    assert.deepEqual(second.result, { slept: 300 });
  });

  it('echoes ids with their JSON type and answers concurrent requests out of order', async () => {
    sock.send({ jsonrpc: '2.0', id: 1, method: 'test.sleep', params: { ms: 200 } });
    sock.send({ jsonrpc: '2.0', id: '1', method: 'test.sleep', params: { ms: 0 } });
    const first = await sock.next();
    const second = await sock.next();
    assert.equal(first.id, '1');
    assert.equal(second.id, 1);
  });

  it('ignores a response whose id matches no pending server request', async () => {
    sock.send({ jsonrpc: '2.0', id: 'srv-999', result: 'nobody asked' });
    await assertStillServing(sock);
  });

  it('correlates a server → client request with the client reply', async () => {
    sock.send({ jsonrpc: '2.0', id: 'ask', method: 'test.ask_client', params: { question: 'colour?' } });
    const request = await sock.next();
    assert.equal(request.method, 'test.answer');
    assert.match(request.id, /^srv-\d+$/);
    assert.deepEqual(request.params, { question: 'colour?' });
    sock.send({ jsonrpc: '2.0', id: request.id, result: 'blue' });
    const reply = await sock.next();
    assert.equal(reply.id, 'ask');
    assert.equal(reply.result, 'blue');
  });

  it('closes a connection that sends a frame over 8 MiB with 1009, and serves everyone else', async () => {
    const other = await authed(daemon);
    const big = await authed(daemon);
    big.send('x'.repeat(8 * 1024 * 1024 + 1));
    const closed = await big.closed;
    assert.equal(closed.code, 1009);
    assert.equal(closed.reason, 'frame exceeds 8 MiB');
    await assertStillServing(other);
    other.close();
  });

  it('accepts a frame just under 8 MiB', async () => {
    const near = await authed(daemon);
    near.send(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'sessions.list', params: { pad: 'x'.repeat(8 * 1024 * 1024 - 100) } }));
    const reply = await near.next(15_000);
    assert.equal(reply.error.code, -32602);
    near.close();
  });

  it('does not cut off a reader for one reply larger than 16 MiB', async () => {
    const reader = await authed(daemon);
    reader.send({ jsonrpc: '2.0', id: 'big', method: 'test.big_reply', params: { bytes: 20 * 1024 * 1024 } });
    const reply = await reader.next(30_000);
    assert.equal(reply.result.text.length, 20 * 1024 * 1024);
    await assertStillServing(reader);
    reader.close();
  });

  it('cuts off a client that stops reading once 16 MiB are queued, without delaying others', async () => {
    const other = await authed(daemon);
    const stuck = await authed(daemon);
    (stuck.ws as any)._socket.pause();
    const hugeId = 'i'.repeat(1024 * 1024);
    for (let i = 0; i < 40; i++) stuck.send({ jsonrpc: '2.0', id: `${hugeId}${i}`, method: 'no.such_method' });
    await assertStillServing(other);
    await waitFor(() => daemon.state.sessions.size === 2 /* sock + other */, 'the stuck session to be removed', 10_000);
    await assertStillServing(other);
    other.close();
    stuck.ws.terminate();
  });
});

async function authed(daemon: InProcessDaemon): Promise<RawSocket> {
  const sock = await rawSocket(daemon.url);
  sock.send({ jsonrpc: '2.0', id: 'auth', method: 'session.auth', params: { token: daemon.token } });
  const reply = await sock.next();
  assert.equal(reply.result.ok, true);
  return sock;
}

async function assertStillServing(sock: RawSocket): Promise<void> {
  const id = `alive-${Math.random()}`;
  sock.send({ jsonrpc: '2.0', id, method: 'sessions.list' });
  const reply = await sock.next();
  assert.equal(reply.id, id, `expected the reply to ${id}, got ${JSON.stringify(reply).slice(0, 200)}`);
  assert.ok(reply.result.sessions.length >= 1);
}
