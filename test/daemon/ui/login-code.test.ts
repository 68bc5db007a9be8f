import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { LOGIN_CODE_TTL_MS, LOGIN_CODES_PER_MINUTE, LoginCodeBook } from '../../../src/daemon/auth/login-codes.js';
import { AuthPolicy } from '../../../src/daemon/auth/tokens.js';
import { connectInMemory } from '../../helpers/in-memory-channel.js';
import { startInProcess, type InProcessDaemon } from '../../helpers/in-process.js';
import { journalEvents } from '../../helpers/journal.js';
import { rawSocket } from '../../helpers/raw-socket.js';
import { rejectsWith } from '../../helpers/rpc.js';

/** Browser sign-in (docs/protocol.md#session-login_code): session.login_code and session.auth { login_code }. */
describe('browser sign-in codes', () => {
  let daemon: InProcessDaemon;
  before(async () => {
    daemon = await startInProcess();
  });
  after(async () => {
    await daemon.close();
  });

  async function authWithCode(code: string) {
    const sock = await rawSocket(daemon.url);
    sock.send({ jsonrpc: '2.0', id: 1, method: 'session.auth', params: { login_code: code } });
    return { sock, reply: await sock.next() };
  }

  it('mints a 43-character code valid for 60 s that signs in once, as a client', async () => {
    const client = await daemon.connect();
    const before = Date.now();
    const { code, expires_at } = await client.call('session.login_code', {});
    assert.match(code, /^[A-Za-z0-9_-]{43}$/);
    const ttl = Date.parse(expires_at) - before;
    assert.ok(ttl > LOGIN_CODE_TTL_MS - 5000 && ttl <= LOGIN_CODE_TTL_MS + 1000, `expires in ${ttl} ms`);

    const first = await authWithCode(code);
    assert.deepEqual(first.reply.result, { ok: true, auth_enabled: true });
    first.sock.send({ jsonrpc: '2.0', id: 2, method: 'sessions.list' });
    const listed = await first.sock.next();
    assert.equal(listed.result.sessions.find((s: { is_self: boolean }) => s.is_self).role, 'client');
    first.sock.close();

    const second = await authWithCode(code);
    assert.equal(second.reply.error.code, -32001);
    assert.match(second.reply.error.message, /unknown, already used or expired.*car ui/);
    assert.equal((await second.sock.closed).code, 1008);
    client.close();
  });

  it("signs the shared client's Connection in with a code, then negotiates the protocol", async () => {
    const client = await daemon.connect();
    const { code } = await client.call('session.login_code', {});
    const { client: connection, session } = connectInMemory(daemon.state);
    await connection.open({ token: null, loginCode: code, memoryNamespace: 'default', clientVersion: 'car-ui' });
    assert.deepEqual(connection.auth, { ok: true, auth_enabled: true, memory_namespace: 'default' });
    assert.equal(session.role, 'client');
    assert.equal(session.protocolVersion, 2);
    connection.close();
    client.close();
  });

  it('refuses an unknown code with -32001 and closes the connection', async () => {
    const { sock, reply } = await authWithCode('x'.repeat(43));
    assert.equal(reply.error.code, -32001);
    assert.equal((await sock.closed).code, 1008);
  });

  it('signs a host code in with host rights; a client session cannot mint one', async () => {
    const client = await daemon.connect();
    await rejectsWith(client.call('session.login_code', { role: 'host' }), -32012, /host rights/);
    const host = await daemon.connect({ asHost: true });
    const { code } = await host.call('session.login_code', { role: 'host' });
    const { sock, reply } = await authWithCode(code);
    assert.deepEqual(reply.result, { ok: true, auth_enabled: true, role: 'host' });
    sock.close();
    client.close();
    host.close();
  });

  it('refuses a code together with a token, and a code before authentication', async () => {
    const client = await daemon.connect();
    const { code } = await client.call('session.login_code', {});
    const sock = await rawSocket(daemon.url);
    sock.send({ jsonrpc: '2.0', id: 1, method: 'session.auth', params: { login_code: code, token: daemon.token } });
    const reply = await sock.next();
    assert.equal(reply.error.code, -32602);
    assert.match(reply.error.message, /login_code on its own/);
    sock.send({ jsonrpc: '2.0', id: 2, method: 'session.login_code', params: {} });
    assert.equal((await sock.next()).error.code, -32001);
    client.close();
  });

  it(`rate-limits minting to ${LOGIN_CODES_PER_MINUTE} codes per session per minute`, async () => {
    const client = await daemon.connect();
    for (let i = 0; i < LOGIN_CODES_PER_MINUTE; i++) await client.call('session.login_code', {});
    await rejectsWith(client.call('session.login_code', {}), -32013, /in the last minute/);
    const other = await daemon.connect();
    await other.call('session.login_code', {});
    client.close();
    other.close();
  });

  it('journals mints and sign-ins without the code', async () => {
    const client = await daemon.connect();
    const { code } = await client.call('session.login_code', {});
    const { sock } = await authWithCode(code);
    sock.close();
    client.close();
    const journal = daemon.state.journal;
    assert.ok(journalEvents(journal, 'login_code_minted').length > 0);
    assert.ok(journalEvents(journal, 'session_authenticated').some((event) => (event.data as { via?: string }).via === 'login_code'));
    assert.ok(!readFileSync(journal.file, 'utf8').includes(code), 'the code never reaches the journal');
  });
});

describe('LoginCodeBook', () => {
  it('expires a code after 60 s', () => {
    let now = 1_000_000;
    const book = new LoginCodeBook(() => now);
    const minted = book.mint('client', 's1');
    assert.ok('code' in minted);
    now += LOGIN_CODE_TTL_MS;
    assert.equal(book.redeem(minted.code), null);
  });

  it('redeems a code still inside its 60 s once', () => {
    let now = 1_000_000;
    const book = new LoginCodeBook(() => now);
    const minted = book.mint('host', 's1');
    assert.ok('code' in minted);
    now += LOGIN_CODE_TTL_MS - 1;
    assert.equal(book.redeem(minted.code), 'host');
    assert.equal(book.redeem(minted.code), null);
  });

  it('lets a session mint again once its minute has passed', () => {
    let now = 0;
    const book = new LoginCodeBook(() => now);
    for (let i = 0; i < LOGIN_CODES_PER_MINUTE; i++) assert.ok('code' in book.mint('client', 's1'));
    assert.deepEqual(book.mint('client', 's1'), { refused: 'session_rate' });
    now += 60_000;
    assert.ok('code' in book.mint('client', 's1'));
  });

  it('is part of the auth policy, never of its JSON', () => {
    const auth = AuthPolicy.minted();
    assert.ok(auth.loginCodes instanceof LoginCodeBook);
    assert.ok(!JSON.stringify(auth).includes('loginCodes'));
  });
});
