import assert from 'node:assert/strict';
import { discoverToken } from '../../../src/client/tokens.js';
import { readEnvironment } from '../../../src/config/environment.js';
import { statSync, existsSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { CarClient } from '../../../src/client/node.js';
import { RpcError } from '../../../src/protocol/errors.js';
import { runPaths } from '../../../src/paths.js';
import { startDaemon, type DaemonProcess } from '../../helpers/daemon.js';
import { startInProcess } from '../../helpers/in-process.js';
import { rawSocket } from '../../helpers/raw-socket.js';

/** The auth matrix (docs/protocol.md#authentication) against a real daemon process. */
describe('authentication (docs/protocol.md#authentication) on a real daemon', () => {
  let daemon: DaemonProcess;
  before(async () => {
    daemon = await startDaemon();
  });
  after(async () => {
    await daemon.stop();
  });

  it('writes a 43-character token and a distinct host token, 0600 in a 0700 run/', () => {
    const paths = runPaths(daemon.stateRoot);
    assert.equal(statSync(paths.token).mode & 0o777, 0o600);
    assert.equal(statSync(paths.hostToken).mode & 0o777, 0o600);
    assert.equal(statSync(`${daemon.stateRoot}/run`).mode & 0o777, 0o700);
    assert.match(daemon.token(), /^[A-Za-z0-9_-]{43}$/);
    assert.notEqual(daemon.token(), daemon.hostToken());
    assert.ok(!daemon.logs().includes(daemon.token()), 'the token never reaches the log');
  });

  it('answers any call before auth with -32001 and closes with 1008', async () => {
    const sock = await rawSocket(daemon.url);
    sock.send({ jsonrpc: '2.0', id: 1, method: 'sessions.list' });
    const reply = await sock.next();
    assert.equal(reply.error.code, -32001);
    assert.match(reply.error.message, /session\.auth/);
    assert.equal((await sock.closed).code, 1008);
  });

  it('answers an unknown method before auth with -32001, not -32601', async () => {
    const sock = await rawSocket(daemon.url);
    sock.send({ jsonrpc: '2.0', id: 1, method: 'no.such' });
    assert.equal((await sock.next()).error.code, -32001);
    assert.equal((await sock.closed).code, 1008);
  });

  it('closes on a notification before auth without answering', async () => {
    const sock = await rawSocket(daemon.url);
    sock.send({ jsonrpc: '2.0', method: 'sessions.list' });
    const closed = await sock.closed;
    assert.equal(closed.code, 1008);
  });

  it('closes on a binary frame before auth with 1008 "authenticate first"', async () => {
    const sock = await rawSocket(daemon.url);
    sock.ws.send(Buffer.alloc(40), { binary: true });
    const closed = await sock.closed;
    assert.deepEqual(closed, { code: 1008, reason: 'authenticate first' });
  });

  it('refuses a wrong token with -32001 naming the token file, then closes', async () => {
    const sock = await rawSocket(daemon.url);
    sock.send({ jsonrpc: '2.0', id: 1, method: 'session.auth', params: { token: 'wrong' } });
    const reply = await sock.next();
    assert.equal(reply.error.code, -32001);
    assert.match(reply.error.message, /auth failed: token mismatch; read the token from .*run\/auth-token or set CAR_AUTH_TOKEN/);
    assert.ok(!JSON.stringify(reply).includes(daemon.token()));
    assert.equal((await sock.closed).code, 1008);
  });

  it('refuses a host token presented as the client token and vice versa in session.auth', async () => {
    for (const params of [{ token: daemon.hostToken() }, { host_token: daemon.token() }]) {
      const sock = await rawSocket(daemon.url);
      sock.send({ jsonrpc: '2.0', id: 1, method: 'session.auth', params });
      assert.equal((await sock.next()).error.code, -32001);
      assert.equal((await sock.closed).code, 1008);
    }
  });

  it('refuses the client token from a client that asked for host rights (the token went with the upgrade)', async () => {
    await assert.rejects(CarClient.connect({ url: daemon.url, asHost: true, token: daemon.token() }), (e: Error) => /is not the host token/.test(e.message));
  });

  it('gives the client token the client role: no daemon.shutdown', async () => {
    const client = await daemon.connect();
    assert.deepEqual(client.auth, { ok: true, auth_enabled: true });
    await assert.rejects(client.call('daemon.shutdown', {}), (e: RpcError) => e.code === -32012 && /host role/.test(e.message));
    const { sessions } = await client.call('sessions.list', {});
    const self = sessions.find((s) => s.is_self)!;
    assert.equal(self.role, 'client');
    assert.equal(self.authenticated, true);
    client.close();
  });

  it('gives the host token the host role', async () => {
    const host = await daemon.connect({ asHost: true });
    assert.deepEqual(host.auth, { ok: true, auth_enabled: true, role: 'host' });
    const { sessions } = await host.call('sessions.list', {});
    assert.equal(sessions.find((s) => s.is_self)!.role, 'host');
    host.close();
  });

  it('lets a client session upgrade to host by authenticating again', async () => {
    const client = await daemon.connect();
    const result = await client.request('session.auth', { host_token: daemon.hostToken() });
    assert.deepEqual(result, { ok: true, auth_enabled: true, role: 'host' });
    client.close();
  });

  it('refuses agent_id binding', async () => {
    const sock = await rawSocket(daemon.url);
    sock.send({ jsonrpc: '2.0', id: 1, method: 'session.auth', params: { token: daemon.token(), agent_id: 'a1' } });
    const reply = await sock.next();
    assert.equal(reply.error.code, -32602);
    assert.match(reply.error.message, /agent_id binding is not supported/);
    sock.close();
  });

  it('discovers the token from CAR_AUTH_TOKEN before the file', async () => {
    const tokenFrom = (value: string) => discoverToken('client', daemon.stateRoot, readEnvironment({ CAR_AUTH_TOKEN: value }));
    await assert.rejects(daemon.connect({ token: tokenFrom('  not-the-token  ') }), (e: Error) => /refused the token \(HTTP 401\)/.test(e.message));
    const client = await daemon.connect({ token: tokenFrom(`  ${daemon.token()}\n`) });
    client.close();
    assert.equal(tokenFrom('   '), daemon.token(), 'a blank variable falls back to the file');
    const fromFile = await daemon.connect({ token: tokenFrom('   ') });
    fromFile.close();
  });

  it("refuses a non-loopback Origin with HTTP 403 and accepts the daemon's own (another loopback port is refused too, issue 26)", async () => {
    await assert.rejects(rawSocket(daemon.url, { Origin: 'https://evil.example' }), /HTTP 403/);
    await assert.rejects(rawSocket(daemon.url, { Origin: 'http://localhost:3000' }), /HTTP 403/);
    const ok = await rawSocket(daemon.url, { Origin: `http://localhost:${daemon.port}` });
    ok.close();
  });

  it('negotiates protocol version 2 and refuses others with -32006', async () => {
    const client = await daemon.connect({ handshake: false });
    await assert.rejects(
      client.request('server.handshake', { protocol_version: 1 }),
      (e: RpcError) => e.code === -32006 && /^protocol version mismatch: daemon speaks 2, client sent 1; upgrade the client/.test(e.message),
    );
    await assert.rejects(client.request('server.handshake', {}), (e: RpcError) => e.code === -32006);
    await assert.rejects(client.request('server.handshake', { protocol_version: '2' }), (e: RpcError) => e.code === -32006);
    const result = await client.request('server.handshake', { protocol_version: 2, client_version: 'test/1' });
    assert.deepEqual(Object.keys(result as object).sort(), ['client_protocol_version', 'protocol_version', 'server_version']);
    assert.deepEqual(await client.request('server.handshake', { protocol_version: 2 }), result);
    client.close();
  });
});

describe('authentication variants', () => {
  it('--no-auth accepts anything, writes no token file and treats sessions as anonymous', async () => {
    const daemon = await startDaemon({ args: ['--no-auth'] });
    try {
      assert.equal(existsSync(runPaths(daemon.stateRoot).token), false);
      const bare = await CarClient.connect({ url: daemon.url, token: null });
      const { sessions } = await bare.call('sessions.list', {});
      assert.equal(sessions[0]!.authenticated, false);
      assert.equal(sessions[0]!.role, 'anonymous', 'host rights need no session.auth when auth is off');
      const any = await CarClient.connect({ url: daemon.url, token: 'whatever' });
      assert.deepEqual(any.auth, { ok: true, auth_enabled: false });
      const listed = await any.call('sessions.list', {});
      assert.equal(listed.sessions.find((s) => s.is_self)!.role, 'anonymous');
      bare.close();
      any.close();
    } finally {
      await daemon.stop();
    }
  });

  it('CAR_NO_AUTH=1 turns auth off too', async () => {
    const daemon = await startDaemon({ env: { CAR_NO_AUTH: '1' } });
    try {
      const client = await CarClient.connect({ url: daemon.url, token: 'x' });
      assert.equal(client.auth?.auth_enabled, false);
      client.close();
    } finally {
      await daemon.stop();
    }
  });

  it('installs the token from --auth-token, else from CAR_AUTH_TOKEN', async () => {
    const flagged = await startDaemon({ args: ['--auth-token', 'flag-token-123'], env: { CAR_AUTH_TOKEN: 'env-token-456' } });
    try {
      assert.equal(flagged.token(), 'flag-token-123');
      assert.ok(!flagged.logs().includes('flag-token-123'));
    } finally {
      await flagged.stop();
    }
    const fromEnv = await startDaemon({ env: { CAR_AUTH_TOKEN: 'env-token-456' } });
    try {
      assert.equal(fromEnv.token(), 'env-token-456');
    } finally {
      await fromEnv.stop();
    }
  });

  it('closes a connection that does not authenticate in time', async () => {
    const daemon = await startInProcess({}, { authTimeoutMs: 200 });
    try {
      const sock = await rawSocket(daemon.url);
      const closed = await sock.closed;
      assert.deepEqual(closed, { code: 1008, reason: 'authentication timeout' });
    } finally {
      await daemon.close();
    }
  });
});
