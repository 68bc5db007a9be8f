import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import type { CarClient } from '../../../src/client/node.js';
import { runCli } from '../../helpers/cli.js';
import { startDaemon, type DaemonProcess } from '../../helpers/daemon.js';
import { rejectsWith } from '../../helpers/rpc.js';

const CALL = { timeoutMs: 30_000 };

/** Memory graphs (docs/protocol.md#memory-graphs) through a real daemon process and its real `db/memory.sqlite`. */
describe('memory graphs (docs/protocol.md#memory-graphs) on a real daemon', () => {
  let daemon: DaemonProcess;
  const clients: CarClient[] = [];
  const connect = async (memoryNamespace?: string) => {
    const client = await daemon.connect(memoryNamespace === undefined ? {} : { memoryNamespace });
    clients.push(client);
    return client;
  };

  before(async () => {
    daemon = await startDaemon();
  });
  after(async () => {
    for (const client of clients) client.close();
    await daemon.stop();
  });

  it('shares a namespace between connections and keeps it across a daemon restart, never showing it to standalone sessions', async () => {
    const writer = await connect('team');
    const added = await writer.call('memory.add_fact', { subject: 'standup', body: 'the standup is at nine thirty' }, CALL);
    assert.match(added.id, /^ws-[0-9a-f]{12}$/);
    assert.equal(added.fact_count, 1);

    const reader = await connect('team');
    const hits = await reader.call('memory.query', { query: 'standup' }, CALL);
    assert.deepEqual(
      hits.map((hit) => hit.id),
      [added.id],
    );
    assert.equal(hits[0]!.body, 'the standup is at nine thirty');

    const standalone = await connect();
    assert.equal(await standalone.call('memory.fact_count', {}, CALL), 0);
    assert.deepEqual(await standalone.call('memory.query', { query: 'standup' }, CALL), []);

    const db = join(daemon.stateRoot, 'db', 'memory.sqlite');
    assert.equal(statSync(db).mode & 0o777, 0o600, 'the database is private to the user');
    const inspector = new Database(db, { readonly: true });
    assert.equal(inspector.pragma('journal_mode', { simple: true }), 'wal');
    inspector.close();

    for (const client of clients.splice(0)) client.close();
    assert.equal(await daemon.stop(), 0);
    daemon = await startDaemon({ stateRoot: daemon.stateRoot });

    const afterRestart = await connect('team');
    assert.equal(await afterRestart.call('memory.fact_count', {}, CALL), 1);
    const again = await afterRestart.call('memory.query', { query: 'nine thirty standup' }, CALL);
    assert.equal(again[0]?.id, added.id);
  });

  it('has every acknowledged fact on disk, even when the daemon is killed right after many concurrent adds', async () => {
    const writers = await Promise.all([connect('durable'), connect('durable'), connect('durable')]);
    const acknowledged = await Promise.all(
      Array.from({ length: 300 }, (_, i) => writers[i % 3]!.call('memory.add_fact', { subject: `item ${i}`, body: `durable body number ${i}` }, CALL)),
    );
    assert.equal(new Set(acknowledged.map((added) => added.id)).size, 300);
    assert.equal(Math.max(...acknowledged.map((added) => added.fact_count)), 300);

    for (const client of clients.splice(0)) client.close();
    await daemon.kill();
    daemon = await startDaemon({ stateRoot: daemon.stateRoot });
    const reader = await connect('durable');
    assert.equal(await reader.call('memory.fact_count', {}, CALL), 300);
    assert.equal((await reader.call('memory.query', { query: 'number 299' }, CALL))[0]?.id, acknowledged[299]!.id);
  });

  it('gives two standalone sessions private graphs that never see each other', async () => {
    const alice = await connect();
    const bob = await connect();
    await alice.call('memory.add_fact', { subject: 'secret', body: 'alice keeps her notes here' }, CALL);
    await bob.call('memory.add_fact', { subject: 'secret', body: 'bob keeps his notes here' }, CALL);

    const aliceHits = await alice.call('memory.query', { query: 'secret notes' }, CALL);
    const bobHits = await bob.call('memory.query', { query: 'secret notes' }, CALL);
    assert.deepEqual(
      aliceHits.map((hit) => hit.body),
      ['alice keeps her notes here'],
    );
    assert.deepEqual(
      bobHits.map((hit) => hit.body),
      ['bob keeps his notes here'],
    );
    const listed = await alice.call('sessions.list', {}, CALL);
    assert.deepEqual(listed.sessions.find((s) => s.is_self)?.memory, { scope: 'session', namespace: null });
  });

  it('keeps namespaces that differ only in case apart', async () => {
    const upper = await connect('Notes');
    const lower = await connect('notes');
    await upper.call('memory.add_fact', { subject: 'case', body: 'written under the capitalised namespace' }, CALL);
    assert.equal(await lower.call('memory.fact_count', {}, CALL), 0);
    assert.deepEqual(await lower.call('memory.query', { query: 'capitalised' }, CALL), []);
    assert.equal(await upper.call('memory.fact_count', {}, CALL), 1);
  });

  it('refuses namespaces that look like paths or are not printable, and binds nothing', async () => {
    for (const bad of ['../x', 'a/b', 'a\\b', '..', '.', '', 'tab\there', 'x'.repeat(129), 'café']) {
      await rejectsWith(daemon.connect({ memoryNamespace: bad }), -32602, /invalid memory_namespace: it must/);
    }
    assert.deepEqual(
      readdirSync(join(daemon.stateRoot, 'db')).filter((name) => !name.startsWith('memory.sqlite')),
      [],
      'no stray files beside the database',
    );
  });

  it('refuses to rebind a session to another namespace', async () => {
    const client = await connect('first');
    await rejectsWith(
      client.request('session.auth', { token: daemon.token(), memory_namespace: 'second' }, CALL),
      -32011,
      /already bound to memory namespace 'first'/,
    );
    const again = await client.call('session.auth', { token: daemon.token(), memory_namespace: 'first' }, CALL);
    assert.equal(again.memory_namespace, 'first');
  });

  it('never writes fact bodies into the journal', async () => {
    const client = await connect('journal-check');
    const { id } = await client.call('memory.add_fact', { subject: 'jsubject', body: 'a body that must stay out of the journal' }, CALL);
    await client.call('memory.delete', { id }, CALL);
    const { journal_file } = await client.call('daemon.status', {}, CALL);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const events = readFileSync(journal_file, 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    const added = events.find((event) => event.kind === 'memory_fact_added' && event.data.id === id);
    assert.deepEqual(added?.data, { scope: 'namespace', namespace: 'journal-check', id, subject: 'jsubject', kind: 'pattern' });
    assert.deepEqual(events.find((event) => event.kind === 'memory_fact_deleted')?.data, { id });
    assert.doesNotMatch(readFileSync(journal_file, 'utf8'), /must stay out/);
  });

  describe('CLI', () => {
    it('adds, queries and counts facts in a namespace (flag or CAR_MEMORY_NAMESPACE)', async () => {
      const added = await runCli(['memory', 'add', 'deploys', 'never deploy on Fridays', '--kind', 'constraint', '--namespace', 'cli'], daemon.env);
      assert.equal(added.code, 0, added.stderr);
      assert.match(added.stdout, /^ws-[0-9a-f]{12} stored in namespace 'cli' \(1 fact\)\n$/);
      assert.equal(added.stderr, '');

      const queried = await runCli(['memory', 'query', 'deploy fridays', '--json'], { ...daemon.env, CAR_MEMORY_NAMESPACE: 'cli' });
      assert.equal(queried.code, 0, queried.stderr);
      const hits = JSON.parse(queried.stdout);
      assert.equal(hits.length, 1);
      assert.equal(hits[0].kind, 'constraint');

      const table = await runCli(['memory', 'query', 'fridays', '-k', '3', '--namespace', 'cli'], daemon.env);
      assert.equal(table.code, 0, table.stderr);
      const [header, row] = table.stdout.trim().split('\n');
      assert.match(header!, /^ID +KIND +SCORE +SUBJECT +BODY$/);
      assert.match(row!, /^ws-[0-9a-f]{12} +constraint +[\d.]+ +deploys +never deploy on Fridays$/);

      const counted = await runCli(['memory', 'count', '--namespace', 'cli'], daemon.env);
      assert.equal(counted.code, 0, counted.stderr);
      assert.equal(counted.stdout, '1\n');
    });

    it("keeps a fact added without a namespace in namespace 'default', and reports bad input with exit 1", async () => {
      const added = await runCli(['memory', 'add', 'unnamed', 'kept across commands'], daemon.env);
      assert.equal(added.code, 0, added.stderr);
      assert.match(added.stdout, /stored in namespace 'default'/);
      const found = await runCli(['memory', 'query', 'kept across commands', '--json'], daemon.env);
      assert.equal(found.code, 0, found.stderr);
      assert.deepEqual(
        JSON.parse(found.stdout).map((hit: { subject: string }) => hit.subject),
        ['unnamed'],
      );

      const badNamespace = await runCli(['memory', 'count', '--namespace', '../x'], daemon.env);
      assert.equal(badNamespace.code, 1);
      assert.match(badNamespace.stderr, /^Error: invalid memory_namespace: it must not contain '\/'.*'meetings'$/m);

      const badKind = await runCli(['memory', 'add', 's', 'b', '--kind', 'rumour', '--namespace', 'cli'], daemon.env);
      assert.equal(badKind.code, 2);

      const blank = await runCli(['memory', 'query', '   ', '--namespace', 'cli'], daemon.env);
      assert.equal(blank.code, 1);
      assert.match(blank.stderr, /param 'query' for `car memory query`: must not be empty/);
    });

    it('shows examples in --help', async () => {
      for (const command of ['add', 'query', 'count']) {
        const help = await runCli(['memory', command, '--help'], daemon.env);
        assert.equal(help.code, 0, help.stderr);
        assert.match(help.stdout, /EXAMPLES/);
      }
    });
  });
});
