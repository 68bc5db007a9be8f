import assert from 'node:assert/strict';
import { request } from 'node:http';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { parseSetCookie, type SetCookie } from 'cookie';
import { AuthPolicy } from '../../../src/daemon/auth/tokens.js';
import { BrowserSessionBook, DEFAULT_BROWSER_SESSION_TTL_MS, MAX_BROWSER_SESSIONS } from '../../../src/daemon/auth/browser-sessions.js';
import { daemonConfig } from '../../../src/config/daemon.js';
import { readEnvironment } from '../../../src/config/environment.js';
import { ConfigError } from '../../../src/errors.js';
import { startInProcess, type InProcessDaemon } from '../../helpers/in-process.js';
import { journalEvents } from '../../helpers/journal.js';
import { tempStateRoot } from '../../helpers/paths.js';
import { rawSocket, type RawSocket } from '../../helpers/raw-socket.js';

interface Answer {
  status: number;
  body: any;
  setCookie: string | undefined;
}

function http(port: number, method: string, headers: Record<string, string> = {}, body?: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/session', method, headers, agent: false }, (res) => {
      let text = '';
      res.on('data', (chunk: Buffer) => (text += chunk.toString()));
      res.on('end', () => resolve({ status: res.statusCode!, body: text ? JSON.parse(text) : null, setCookie: res.headers['set-cookie']?.[0] }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const portOf = (daemon: InProcessDaemon) => Number(new URL(daemon.url).port);
const ownOrigin = (daemon: InProcessDaemon) => `http://127.0.0.1:${portOf(daemon)}`;

async function mintCode(daemon: InProcessDaemon, role: 'client' | 'host' = 'client'): Promise<string> {
  const client = await daemon.connect({ asHost: role === 'host' });
  const { code } = await client.call('session.login_code', { role });
  client.close();
  return code;
}

function signIn(daemon: InProcessDaemon, code: string, headers: Record<string, string> = {}): Promise<Answer> {
  return http(portOf(daemon), 'POST', { origin: ownOrigin(daemon), 'content-type': 'application/json', ...headers }, JSON.stringify({ code }));
}

/** `name=value` for a Cookie request header, from a Set-Cookie answer. */
function cookiePair(answer: Answer): string {
  const cookie = parseSetCookie(answer.setCookie!);
  return `${cookie.name}=${cookie.value}`;
}

/** Calls sessions.list on a fresh upgrade; `null` means the daemon answered that the connection is not signed in. */
async function upgradeSignedIn(daemon: InProcessDaemon, headers: Record<string, string>): Promise<{ sock: RawSocket; role: string | null }> {
  const sock = await rawSocket(daemon.url, headers);
  sock.send({ jsonrpc: '2.0', id: 1, method: 'sessions.list' });
  const reply = await sock.next();
  if (reply.error) {
    assert.equal(reply.error.code, -32001, JSON.stringify(reply.error));
    return { sock, role: null };
  }
  return { sock, role: reply.result.sessions.find((session: { is_self: boolean }) => session.is_self).role };
}

/** Issue 27 item 8: the browser UI's session cookie, over real HTTP and real upgrades. */
describe('the browser session cookie', () => {
  let daemon: InProcessDaemon;
  before(async () => {
    daemon = await startInProcess();
  });
  after(async () => {
    await daemon.close();
  });

  it('is minted for a one-time code: HttpOnly, SameSite=Strict, Path=/, no Domain, expiring in 12 h', async () => {
    const code = await mintCode(daemon);
    const before = Date.now();
    const answer = await signIn(daemon, code);
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    assert.equal(answer.body.signed_in, true);
    assert.equal(answer.body.role, 'client');
    const cookie: SetCookie = parseSetCookie(answer.setCookie!);
    assert.equal(cookie.name, `car_session_${portOf(daemon)}`);
    assert.match(cookie.value!, /^[A-Za-z0-9_-]{43}$/);
    assert.notEqual(cookie.value, code);
    assert.equal(cookie.httpOnly, true);
    assert.equal(cookie.sameSite, 'strict');
    assert.equal(cookie.path, '/');
    assert.equal(cookie.domain, undefined);
    assert.equal(cookie.maxAge, DEFAULT_BROWSER_SESSION_TTL_MS / 1000);
    const expiresIn = cookie.expires!.getTime() - before;
    assert.ok(Math.abs(expiresIn - DEFAULT_BROWSER_SESSION_TTL_MS) < 5000, `expires in ${expiresIn} ms`);
    assert.ok(Math.abs(Date.parse(answer.body.expires_at) - cookie.expires!.getTime()) < 1000, 'the page is told the same expiry');
  });

  it('spends the code: the same code a second time is 401', async () => {
    const code = await mintCode(daemon);
    assert.equal((await signIn(daemon, code)).status, 200);
    const again = await signIn(daemon, code);
    assert.equal(again.status, 401);
    assert.equal(again.setCookie, undefined);
    assert.match(again.body.error, /unknown, already used or expired.*car ui/);
  });

  it('is refused to other origins, to requests without an Origin and to non-JSON bodies, without spending the code', async () => {
    const code = await mintCode(daemon);
    const port = portOf(daemon);
    const body = JSON.stringify({ code });
    for (const origin of [`http://127.0.0.1:${port + 1}`, `http://localhost:${port}`, 'http://evil.example', 'null']) {
      const answer = await http(port, 'POST', { origin, 'content-type': 'application/json' }, body);
      assert.equal(answer.status, 403, origin);
      assert.equal(answer.setCookie, undefined);
    }
    assert.equal((await http(port, 'POST', { 'content-type': 'application/json' }, body)).status, 403);
    assert.equal((await http(port, 'POST', { origin: ownOrigin(daemon), 'content-type': 'text/plain' }, body)).status, 415);
    assert.equal(
      (await http(port, 'POST', { origin: ownOrigin(daemon), 'content-type': 'application/json' }, JSON.stringify({ code, pad: 'x'.repeat(2000) }))).status,
      413,
    );
    assert.equal((await http(port, 'POST', { origin: ownOrigin(daemon), 'content-type': 'application/json' }, '{"code":')).status, 400);
    assert.equal((await signIn(daemon, code)).status, 200, 'the code still works from the own origin');
  });

  it("signs in an upgrade from the daemon's own origin with the cookie's role, and binds a namespace without a credential", async () => {
    const client = await signIn(daemon, await mintCode(daemon));
    const own = await upgradeSignedIn(daemon, { origin: ownOrigin(daemon), cookie: cookiePair(client) });
    assert.equal(own.role, 'client');
    own.sock.send({ jsonrpc: '2.0', id: 2, method: 'session.auth', params: { memory_namespace: 'default' } });
    assert.deepEqual((await own.sock.next()).result, { ok: true, auth_enabled: true, memory_namespace: 'default' });
    // Signed in at the upgrade, so frames over the 4 KiB pre-sign-in limit are read (issue 26).
    own.sock.send({ jsonrpc: '2.0', id: 3, method: 'sessions.list', params: { padding: 'x'.repeat(16 * 1024) } });
    assert.equal((await own.sock.next()).error?.code, -32602, 'answered, not closed with 1009');
    own.sock.close();

    const host = await signIn(daemon, await mintCode(daemon, 'host'));
    assert.equal(host.body.role, 'host');
    const hostSocket = await upgradeSignedIn(daemon, { origin: ownOrigin(daemon), cookie: cookiePair(host) });
    assert.equal(hostSocket.role, 'host');
    hostSocket.sock.send({ jsonrpc: '2.0', id: 2, method: 'session.auth', params: {} });
    assert.deepEqual((await hostSocket.sock.next()).result, { ok: true, auth_enabled: true, role: 'host' });
    hostSocket.sock.close();
  });

  it('refuses the upgrade from another origin, even another port of this host (403), and ignores the cookie of another Host or without an Origin', async () => {
    const answer = await signIn(daemon, await mintCode(daemon, 'host'));
    const port = portOf(daemon);
    for (const origin of [`http://127.0.0.1:${port + 1}`, 'http://evil.example']) {
      await assert.rejects(rawSocket(daemon.url, { origin, cookie: cookiePair(answer) }), /HTTP 403/, origin);
    }
    // The daemon's own page under another loopback name passes the Origin check, but the cookie belongs to the page at 127.0.0.1.
    const origins: Record<string, string>[] = [{ origin: `http://localhost:${port}` }, {}];
    for (const headers of origins) {
      const { sock, role } = await upgradeSignedIn(daemon, { ...headers, cookie: cookiePair(answer) });
      assert.equal(role, null, JSON.stringify(headers));
      assert.equal((await sock.closed).code, 1008, 'treated as any connection that is not signed in');
    }
  });

  it('answers GET /session with the role and expiry, and drops a cookie it does not know', async () => {
    const port = portOf(daemon);
    const answer = await signIn(daemon, await mintCode(daemon));
    const current = await http(port, 'GET', { cookie: cookiePair(answer) });
    assert.deepEqual(current.body, { signed_in: true, role: 'client', expires_at: answer.body.expires_at });
    assert.equal(current.setCookie, undefined);
    assert.deepEqual((await http(port, 'GET')).body, { signed_in: false });
    const stale = await http(port, 'GET', { cookie: `car_session_${port}=${'x'.repeat(43)}` });
    assert.deepEqual(stale.body, { signed_in: false });
    assert.equal(parseSetCookie(stale.setCookie!).maxAge, 0);
  });

  it('signs out with DELETE from the own origin: the cookie is cleared and its connections are closed', async () => {
    const port = portOf(daemon);
    const answer = await signIn(daemon, await mintCode(daemon));
    const { sock, role } = await upgradeSignedIn(daemon, { origin: ownOrigin(daemon), cookie: cookiePair(answer) });
    assert.equal(role, 'client');

    const foreign = await http(port, 'DELETE', { origin: `http://127.0.0.1:${port + 1}`, cookie: cookiePair(answer) });
    assert.equal(foreign.status, 403);
    assert.equal((await http(port, 'GET', { cookie: cookiePair(answer) })).body.signed_in, true, 'a foreign DELETE signs nobody out');

    const out = await http(port, 'DELETE', { origin: ownOrigin(daemon), cookie: cookiePair(answer) });
    assert.equal(out.status, 200);
    assert.deepEqual(out.body, { signed_in: false });
    assert.equal(parseSetCookie(out.setCookie!).maxAge, 0);
    assert.deepEqual(await sock.closed, { code: 1008, reason: 'signed out' });
    assert.equal((await http(port, 'GET', { cookie: cookiePair(answer) })).body.signed_in, false);
    const after = await upgradeSignedIn(daemon, { origin: ownOrigin(daemon), cookie: cookiePair(answer) });
    assert.equal(after.role, null);
    after.sock.close();
  });

  it('counts a refused code with the other failed sign-ins instead of journaling each one (issue 26)', async () => {
    const code = await mintCode(daemon);
    assert.equal((await signIn(daemon, code)).status, 200);
    for (let attempt = 0; attempt < 3; attempt++) assert.equal((await signIn(daemon, code)).status, 401);
    daemon.state.signIns.flush();
    const counted = journalEvents(daemon.state.journal, 'preauth_closed').map(
      (event) => (event.data as { refused_at: Record<string, number> }).refused_at.browser_session ?? 0,
    );
    assert.ok(counted.reduce((sum, each) => sum + each, 0) >= 3, JSON.stringify(counted));
    assert.equal(journalEvents(daemon.state.journal, 'auth_failed').length, 0);
  });

  it('never writes the cookie or the code to the journal', async () => {
    const code = await mintCode(daemon);
    const answer = await signIn(daemon, code);
    const { sock } = await upgradeSignedIn(daemon, { origin: ownOrigin(daemon), cookie: cookiePair(answer) });
    sock.close();
    const journal = daemon.state.journal;
    assert.ok(journalEvents(journal, 'browser_session_opened').some((event) => (event.data as { role?: string }).role === 'client'));
    assert.ok(journalEvents(journal, 'session_authenticated').some((event) => (event.data as { via?: string }).via === 'browser_session'));
    const written = readFileSync(journal.file, 'utf8');
    assert.ok(!written.includes(parseSetCookie(answer.setCookie!).value!) && !written.includes(code));
  });
});

describe('browser sessions across a daemon restart and with a configured lifetime', () => {
  it('a restarted daemon on the same port no longer knows the cookie', async () => {
    const first = await startInProcess();
    const port = portOf(first);
    const answer = await signIn(first, await mintCode(first));
    assert.equal(answer.status, 200);
    await first.close();

    const second = await startInProcess({ stateRoot: first.stateRoot }, { port });
    try {
      assert.deepEqual((await http(port, 'GET', { cookie: cookiePair(answer) })).body, { signed_in: false });
      const { sock, role } = await upgradeSignedIn(second, { origin: ownOrigin(second), cookie: cookiePair(answer) });
      assert.equal(role, null);
      sock.close();
    } finally {
      await second.close();
    }
  });

  it('takes its lifetime from serve() (CAR_UI_SESSION_TTL for the daemon)', async () => {
    const daemon = await startInProcess({}, { browserSessionTtlMs: 90_000 });
    try {
      const cookie = parseSetCookie((await signIn(daemon, await mintCode(daemon))).setCookie!);
      assert.equal(cookie.maxAge, 90);
    } finally {
      await daemon.close();
    }
    const config = (value: string) =>
      daemonConfig({ bind: '127.0.0.1', allowRemote: false, auth: true, approvals: true }, readEnvironment({ CAR_UI_SESSION_TTL: value }), {}, tempStateRoot());
    assert.equal(config('3600').browserSessionTtlMs, 3_600_000);
    assert.throws(
      () => config('12h'),
      (error: unknown) => error instanceof ConfigError && /CAR_UI_SESSION_TTL must be a whole number of seconds/.test(error.message),
    );
  });
});

describe('a daemon without auth', () => {
  it('needs no cookie: GET /session says anonymous, and a code sets none', async () => {
    const daemon = await startInProcess({ auth: AuthPolicy.disabled() });
    try {
      const code = await mintCode(daemon);
      const answer = await signIn(daemon, code);
      assert.deepEqual(answer.body, { signed_in: true, role: 'anonymous', expires_at: null });
      assert.equal(answer.setCookie, undefined);
      assert.deepEqual((await http(portOf(daemon), 'GET')).body, { signed_in: true, role: 'anonymous', expires_at: null });
    } finally {
      await daemon.close();
    }
  });
});

describe('BrowserSessionBook', () => {
  it('forgets a session once it has expired', () => {
    let now = 1_000_000;
    const book = new BrowserSessionBook(60_000, () => now);
    const opened = book.open('host');
    now += 59_999;
    assert.equal(book.find(opened.token)?.role, 'host');
    now += 1;
    assert.equal(book.find(opened.token), null);
  });

  it(`holds at most ${MAX_BROWSER_SESSIONS}: the one expiring first makes room and its connections close`, () => {
    let now = 0;
    const book = new BrowserSessionBook(60_000, () => now);
    const first = book.open('client');
    const closes: string[] = [];
    book.attach(first.token, { closed: false, close: (_code, reason) => closes.push(reason) });
    for (let i = 1; i < MAX_BROWSER_SESSIONS; i++) {
      now += 1;
      book.open('client');
    }
    assert.equal(book.size, MAX_BROWSER_SESSIONS);
    book.open('client');
    assert.equal(book.size, MAX_BROWSER_SESSIONS);
    assert.equal(book.find(first.token), null);
    assert.deepEqual(closes, ['too many browser sessions; sign in again']);
  });
});
