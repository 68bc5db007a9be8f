import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { CarClient } from '../../../src/client/node.js';
import type { RpcError } from '../../../src/protocol/errors.js';
import { runCli } from '../../helpers/cli.js';
import { startDaemon, type DaemonProcess } from '../../helpers/daemon.js';
import { startInProcess, type InProcessDaemon } from '../../helpers/in-process.js';

/** Sessions listing (docs/protocol.md#sessions-list): the default reply plus count, pages and trimmed rows. */
describe('sessions.list { limit?, offset?, fields? }', () => {
  let daemon: InProcessDaemon;
  let client: CarClient;
  let others: CarClient[];

  before(async () => {
    daemon = await startInProcess();
    client = await daemon.connect();
    others = await Promise.all(Array.from({ length: 4 }, () => daemon.connect()));
  });
  after(async () => {
    for (const other of [client, ...others]) other.close();
    await daemon.close();
  });

  it('keeps the whole default reply and adds the count', async () => {
    const result = await client.call('sessions.list', {});
    assert.equal(result.count, 5);
    assert.equal(result.sessions.length, 5);
    assert.equal(Object.keys(result.sessions[0]!).length, 16);
  });

  it('pages in connect order with offset and limit; count stays the total', async () => {
    const whole = (await client.call('sessions.list', {})).sessions.map((s) => s.id);
    const first = await client.call('sessions.list', { limit: 2 });
    const second = await client.call('sessions.list', { offset: 2, limit: 2 });
    const rest = await client.call('sessions.list', { offset: 4 });
    assert.deepEqual(
      [first, second, rest].map((page) => page.count),
      [5, 5, 5],
    );
    assert.deepEqual(
      [...first.sessions, ...second.sessions, ...rest.sessions].map((s) => s.id),
      whole,
    );
    assert.deepEqual(await client.call('sessions.list', { limit: 0 }), { sessions: [], count: 5 });
    assert.deepEqual(await client.call('sessions.list', { offset: 99 }), { sessions: [], count: 5 });
  });

  it('trims rows to the asked fields, always keeping id', async () => {
    const { sessions } = await client.call('sessions.list', { fields: ['is_self', 'role'] });
    assert.equal(sessions.length, 5);
    for (const row of sessions) assert.deepEqual(Object.keys(row), ['id', 'is_self', 'role']);
    assert.equal(sessions.filter((s) => s.is_self).length, 1);
    assert.equal(sessions.find((s) => s.is_self)!.role, 'client');
  });

  it('refuses bad paging and unknown fields with -32602 naming what to fix', async () => {
    const invalid = (pattern: RegExp) => (error: RpcError) => error.code === -32602 && pattern.test(error.message);
    await assert.rejects(client.call('sessions.list', { limit: -1 }), invalid(/limit/));
    await assert.rejects(client.call('sessions.list', { offset: 1.5 }), invalid(/offset.*whole number/));
    await assert.rejects(client.call('sessions.list', { fields: ['token' as 'id'] }), invalid(/fields.*one of id, is_self/));
    await assert.rejects(client.call('sessions.list', { fields: [] }), invalid(/fields.*at least one/));
    assert.equal((await client.call('sessions.list', {})).count, 5, 'still serving');
  });
});

describe('car sessions ls with many sessions', () => {
  let daemon: DaemonProcess;
  const clients: CarClient[] = [];
  before(async () => {
    daemon = await startDaemon();
    // In batches below the daemon's cap of 64 connections not yet signed in: all at once, a
    // slow machine has more than 64 waiting and the rest are refused with 503 by design.
    while (clients.length < 101) clients.push(...(await Promise.all(Array.from({ length: Math.min(32, 101 - clients.length) }, () => daemon.connect()))));
  });
  after(async () => {
    for (const client of clients) client.close();
    await daemon.stop();
  });

  it('prints the first 100 rows and says how many more --json would list', async () => {
    const result = await runCli(['sessions', 'ls'], daemon.env);
    assert.equal(result.code, 0, result.stderr);
    const lines = result.stdout.trim().split('\n');
    assert.equal(lines.length, 1 + 100 + 1);
    assert.equal(lines.at(-1), '… 2 more of 102 sessions; --json lists them all');
    const json = JSON.parse((await runCli(['sessions', 'ls', '--json'], daemon.env)).stdout);
    assert.equal(json.sessions.length, 102);
    assert.equal(json.count, 102);
  });
});
