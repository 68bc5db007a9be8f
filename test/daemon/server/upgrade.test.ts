import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { request } from 'node:http';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import WebSocket from 'ws';
import { CarClient } from '../../../src/client/node.js';
import { journalEvents } from '../../helpers/journal.js';
import { runCli } from '../../helpers/cli.js';
import { startDaemon, type DaemonProcess } from '../../helpers/daemon.js';
import { waitFor } from '../../helpers/wait.js';

interface UpgradeAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** A hand-made upgrade request, so Host, Origin and Authorization are exactly what the test says. */
function upgrade(port: number, headers: Record<string, string>): Promise<UpgradeAnswer> {
  return new Promise((resolve, reject) => {
    const req = request({
      host: '127.0.0.1',
      port,
      path: '/',
      headers: {
        connection: 'Upgrade',
        upgrade: 'websocket',
        'sec-websocket-version': '13',
        'sec-websocket-key': randomBytes(16).toString('base64'),
        host: `127.0.0.1:${port}`,
        ...headers,
      },
    });
    req.on('upgrade', (res, socket) => {
      socket.destroy();
      resolve({ status: res.statusCode!, headers: res.headers, body: '' });
    });
    req.on('response', (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString()));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** A WebSocket with the token in the upgrade's Authorization header, and its first reply to `method`. */
async function callWithBearer(url: string, token: string, method: string): Promise<any> {
  const ws = new WebSocket(url, { headers: { authorization: `Bearer ${token}` } });
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  const reply = new Promise<any>((resolve) => ws.once('message', (data: Buffer) => resolve(JSON.parse(data.toString()))));
  ws.send(JSON.stringify({ jsonrpc: '2.0', id: 1, method, params: {} }));
  const answer = await reply;
  ws.close();
  return answer;
}

/** Issue 26, items 3 and 8: the token on the upgrade, and the upgrade's Host and Origin. */
describe('the WebSocket upgrade', () => {
  let daemon: DaemonProcess;
  before(async () => {
    daemon = await startDaemon();
  });
  after(async () => {
    await daemon.stop();
  });

  it('signs a connection in with Authorization: Bearer <token>, so its first frame may be any call, and says so on the 101', async () => {
    const answer = await upgrade(daemon.port, { authorization: `Bearer ${daemon.token()}` });
    assert.equal(answer.status, 101);
    assert.equal(answer.headers['car-auth'], 'client');
    const listed = await callWithBearer(daemon.url, daemon.token(), 'sessions.list');
    assert.equal(listed.result.sessions.find((session: any) => session.is_self).role, 'client');
  });

  it('signs the host token in as a host', async () => {
    assert.equal((await upgrade(daemon.port, { authorization: `Bearer ${daemon.hostToken()}` })).headers['car-auth'], 'host');
    const listed = await callWithBearer(daemon.url, daemon.hostToken(), 'sessions.list');
    assert.equal(listed.result.sessions.find((session: any) => session.is_self).role, 'host');
  });

  it('refuses a wrong token, or anything but Bearer, with 401 before the upgrade, naming the token file and never a token', async () => {
    for (const authorization of ['Bearer not-the-token', `Basic ${Buffer.from('u:p').toString('base64')}`, 'Bearer']) {
      const answer = await upgrade(daemon.port, { authorization });
      assert.equal(answer.status, 401, authorization);
      assert.equal(answer.headers['www-authenticate'], 'Bearer realm="car"');
      assert.match(answer.body, /Bearer <token>.*run\/auth-token or set CAR_AUTH_TOKEN/);
      assert.ok(!answer.body.includes(daemon.token()) && !answer.body.includes(daemon.hostToken()));
    }
  });

  it('keeps session.auth for clients without the header (browsers)', async () => {
    const answer = await upgrade(daemon.port, {});
    assert.equal(answer.status, 101);
    assert.equal(answer.headers['car-auth'], undefined);
  });

  it('refuses a Host that is not the daemon: another name (DNS rebinding) or another port', async () => {
    for (const host of [`evil.example:${daemon.port}`, `127.0.0.1:${daemon.port + 1}`, '127.0.0.1', 'localhost.evil.example']) {
      const answer = await upgrade(daemon.port, { host });
      assert.equal(answer.status, 403, host);
      assert.match(answer.body, /Host header must be 127\.0\.0\.1:\d+/);
    }
    for (const host of [`localhost:${daemon.port}`, `127.0.0.1:${daemon.port}`, `LOCALHOST:${daemon.port}`])
      assert.equal((await upgrade(daemon.port, { host })).status, 101, host);
  });

  it("accepts only the daemon's own page as Origin, not another loopback port", async () => {
    for (const origin of [
      `http://localhost:${daemon.port + 1}`,
      'http://127.0.0.1:3000',
      `https://127.0.0.1:${daemon.port}`,
      'null',
      `http://evil.example:${daemon.port}`,
    ]) {
      assert.equal((await upgrade(daemon.port, { origin })).status, 403, origin);
    }
    for (const origin of [`http://127.0.0.1:${daemon.port}`, `http://localhost:${daemon.port}`])
      assert.equal((await upgrade(daemon.port, { origin })).status, 101, origin);
  });

  it('is how the Node client and the CLI sign in: the journal says via upgrade_token', async () => {
    const client = await CarClient.connect({ url: daemon.url, token: daemon.token() });
    assert.deepEqual(client.auth, { ok: true, auth_enabled: true });
    const self = (await client.call('sessions.list', {})).sessions.find((session) => session.is_self)!;
    client.close();
    const cli = await runCli(['sessions', 'ls', '--json'], daemon.env);
    assert.equal(cli.code, 0, cli.stderr);
    const journal = `${daemon.stateRoot}/journals`;
    const file = `${journal}/${readdirSync(journal)[0]}`;
    await waitFor(
      () => journalEvents(file, 'session_authenticated').filter((event) => event.data.via === 'upgrade_token').length >= 2,
      'both sign-ins journaled',
    );
    assert.equal(journalEvents(file, 'session_authenticated').find((event) => event.session_id === self.id)?.data.via, 'upgrade_token');
  });

  it('tells the CLI user a wrong token in one line with a hint, exit 1', async () => {
    const cli = await runCli(['sessions', 'ls'], { ...daemon.env, CAR_AUTH_TOKEN: 'wrong-token' });
    assert.equal(cli.code, 1);
    assert.match(cli.stderr, /auth failed: the daemon at ws:\/\/127\.0\.0\.1:\d+ refused the token \(HTTP 401\)/);
    assert.match(cli.stderr, /run\/auth-token or set CAR_AUTH_TOKEN/);
  });
});
