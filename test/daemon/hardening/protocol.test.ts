import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { log, MAX_LOGGED_FIELD_CHARS } from '../../../src/daemon/log.js';
import { MAX_PARAMS_DEPTH } from '../../../src/daemon/rpc/nesting.js';
import { ClientSession, type SessionChannel } from '../../../src/daemon/sessions/client-session.js';
import { startInProcess, type InProcessDaemon } from '../../helpers/in-process.js';
import { rawSocket, type RawSocket } from '../../helpers/raw-socket.js';
import { waitFor } from '../../helpers/wait.js';

/** `{"a":{"a":…}}` nested `depth` levels. */
const nested = (depth: number): unknown => {
  let value: unknown = 'leaf';
  for (let level = 1; level < depth; level++) value = { a: value };
  return value;
};

async function signedIn(daemon: InProcessDaemon): Promise<RawSocket> {
  const sock = await rawSocket(daemon.url);
  sock.send({ jsonrpc: '2.0', id: 'auth', method: 'session.auth', params: { host_token: daemon.hostToken } });
  assert.equal((await sock.next()).result.ok, true);
  sock.send({ jsonrpc: '2.0', id: 'hs', method: 'server.handshake', params: { protocol_version: 2 } });
  assert.ok((await sock.next()).result);
  return sock;
}

async function call(sock: RawSocket, method: string, params: unknown, id: string | number = `r${Math.random()}`): Promise<any> {
  sock.send({ jsonrpc: '2.0', id, method, params });
  return sock.until((message) => message.id === id);
}

describe('hardening: envelope, nesting, serialisation and log (issue 12, defects 3, 4, 9)', () => {
  let daemon: InProcessDaemon;
  const lines: string[] = [];

  before(async () => {
    daemon = await startInProcess();
    log.configure({ level: 'info', sink: (line) => lines.push(line) });
  });
  after(async () => {
    log.configure({ level: 'error', sink: (line) => process.stderr.write(line) });
    await daemon.close();
  });

  it(`refuses params nested deeper than ${MAX_PARAMS_DEPTH} levels with -32602 before anything is stored, and host events keep answering`, async () => {
    const sock = await signedIn(daemon);
    const before = (await call(sock, 'host.events', { limit: 500 })).at(-1).result.events.length;
    const refused = (await call(sock, 'host.notify', { kind: 'deep', payload: nested(4103) })).at(-1);
    assert.equal(refused.error.code, -32602);
    assert.match(refused.error.message, new RegExp(`deeper than ${MAX_PARAMS_DEPTH} levels`));
    const events = (await call(sock, 'host.events', { limit: 500 })).at(-1);
    assert.equal(events.result.events.length, before, 'nothing was stored');
    const accepted = (await call(sock, 'host.notify', { kind: 'shallow', payload: nested(MAX_PARAMS_DEPTH - 3) })).at(-1);
    assert.ok(accepted.result, JSON.stringify(accepted).slice(0, 200));
    sock.close();
  });

  it('refuses a numeric id that is not a safe integer with -32600 and id null, without executing it', async () => {
    const sock = await signedIn(daemon);
    const count = async () => (await call(sock, 'host.events', { limit: 500 })).at(-1).result.events.length;
    const before = await count();
    for (const id of ['1e400', '9007199254740993', '1.5']) {
      sock.send(`{"jsonrpc":"2.0","id":${id},"method":"host.notify","params":{"kind":"never"}}`);
      const reply = await sock.next();
      assert.equal(reply.id, null);
      assert.equal(reply.error.code, -32600);
      assert.match(reply.error.message, /safe integer/);
    }
    assert.equal(await count(), before, 'no host.notify ran');
    sock.close();
  });

  it('escapes and cuts client strings in log lines and rate-limits one peer', async () => {
    lines.length = 0;
    // Signed in: before sign-in a frame may hold only 4 KiB (issue 26).
    const sock = await signedIn(daemon);
    const forged = `x\n2026-01-01T00:00:00.000Z ERROR FORGED ${'m'.repeat(1024 * 1024)}`;
    for (let index = 0; index < 3; index++) sock.send({ jsonrpc: '2.0', method: forged });
    await waitFor(() => lines.filter((line) => line.includes('notification failed')).length === 3, 'the three failed notifications to be logged', 5000);
    sock.close();
    const text = lines.join('');
    assert.ok(!text.split('\n').some((line) => line.startsWith('2026-01-01')), 'no forged line');
    assert.ok(text.includes('\\u000a2026-01-01'), 'the newline is escaped');
    const longest = Math.max(...lines.map((line) => line.length));
    assert.ok(longest < 400 + MAX_LOGGED_FIELD_CHARS, `longest line ${longest} chars`);

    lines.length = 0;
    const flooder = await rawSocket(daemon.url);
    for (let index = 0; index < 500; index++) flooder.send('{not json');
    let replies = 0;
    await flooder.until(() => ++replies === 500);
    assert.ok(lines.length <= 25, `${lines.length} lines from one peer in one window`);
    flooder.close();
  });

  it('answers a reply that cannot be serialised with an error for that request alone', () => {
    const sent: string[] = [];
    const channel: SessionChannel = { send: (text) => void sent.push(String(text)), close: () => undefined, bufferedAmount: 0 };
    const session = new ClientSession(channel, 'test');
    session.sendResult(7, { big: 10n });
    // @ts-expect-error a BigInt is no valid host.event payload; the point is that it cannot be serialised
    session.notify('host.event', { deep: 1n });
    session.sendResult(8, { ok: true });
    assert.equal(sent.length, 2);
    const first = JSON.parse(sent[0]!);
    assert.equal(first.id, 7);
    assert.equal(first.error.code, -32603);
    assert.match(first.error.message, /could not be serialised/);
    assert.deepEqual(JSON.parse(sent[1]!), { jsonrpc: '2.0', id: 8, result: { ok: true } });
  });

  it('logs a handler failure in one line at ERROR, its stack only at debug', async () => {
    lines.length = 0;
    log.failure('error', 'handler failed unexpectedly', new RangeError('Maximum call stack size exceeded'), { method: 'x' });
    assert.equal(lines.length, 1);
    assert.match(lines[0]!, /ERROR handler failed unexpectedly method=x error=RangeError: Maximum call stack size exceeded\n$/);
  });
});
