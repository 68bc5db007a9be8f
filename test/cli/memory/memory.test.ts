import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { runCli } from '../../helpers/cli.js';
import { startDaemon, type DaemonProcess } from '../../helpers/daemon.js';

/** `car memory add|ls|rm|count|query` against a real daemon process. */
describe('car memory', () => {
  let daemon: DaemonProcess;
  before(async () => {
    daemon = await startDaemon();
  });
  after(() => daemon.stop());

  const car = (...argv: string[]) => runCli(argv, daemon.env);

  it('add takes the fact alone (its first words become the subject), and a query finds it by other word forms (issue 27)', async () => {
    const added = await car('memory', 'add', 'we deploy on Fridays after the review meeting is over', '--namespace', 'cli-forms', '--json');
    assert.equal(added.code, 0, added.stderr);
    const { id } = JSON.parse(added.stdout) as { id: string };
    const found = await car('memory', 'query', 'friday deployment', '--namespace', 'cli-forms', '--json');
    assert.equal(found.code, 0, found.stderr);
    const [hit] = JSON.parse(found.stdout) as { id: string; subject: string; body: string }[];
    assert.deepEqual(
      [hit?.id, hit?.subject, hit?.body],
      [id, 'we deploy on Fridays after the review meeting…', 'we deploy on Fridays after the review meeting is over'],
    );
  });

  it('add prints the id and a pluralised count; ls lists newest first; rm deletes by that id', async () => {
    const first = await car('memory', 'add', 'coffee', 'Alice drinks coffee', '--namespace', 'cli-ls');
    assert.equal(first.code, 0, first.stderr);
    const [, firstId] = /^(ws-[0-9a-f]{12}) stored in namespace 'cli-ls' \(1 fact\)$/.exec(first.stdout.trim()) ?? [];
    assert.ok(firstId, first.stdout);
    const second = await car('memory', 'add', 'tea', 'Bob drinks tea', '--namespace', 'cli-ls', '--json');
    const added = JSON.parse(second.stdout) as { id: string; fact_count: number };
    assert.equal(added.fact_count, 2);

    const listed = await car('memory', 'ls', '--namespace', 'cli-ls');
    assert.equal(listed.code, 0, listed.stderr);
    const lines = listed.stdout.trim().split('\n');
    assert.match(lines[0]!, /^ID +KIND +SUBJECT +BODY +ADDED$/);
    assert.match(lines[1]!, new RegExp(`^${added.id} +pattern +tea +Bob drinks tea`));
    assert.match(lines[2]!, new RegExp(`^${firstId} +pattern +coffee`));
    assert.equal(lines.at(-1), '2 facts in all (1-2 shown)');

    const page = JSON.parse((await car('memory', 'ls', '--namespace', 'cli-ls', '--limit', '1', '--offset', '1', '--json')).stdout);
    assert.deepEqual(
      page.facts.map((fact: { id: string }) => fact.id),
      [firstId],
    );
    assert.equal(page.fact_count, 2);

    const removed = await car('memory', 'rm', firstId!, '--namespace', 'cli-ls');
    assert.equal(removed.code, 0, removed.stderr);
    assert.equal(removed.stdout.trim(), `deleted ${firstId} (1 fact left)`);
    const again = await car('memory', 'rm', firstId!, '--namespace', 'cli-ls');
    assert.equal(again.code, 1);
    assert.match(again.stderr, new RegExp(`^Error: no fact '${firstId}' in namespace 'cli-ls'\\nHint: list the ids with \`car memory ls\``));
    const count = await car('memory', 'count', '--namespace', 'cli-ls', '--json');
    assert.deepEqual(JSON.parse(count.stdout), { fact_count: 1 });
  });

  it('ls of an empty namespace says so; other namespaces are not listed', async () => {
    const result = await car('memory', 'ls', '--namespace', 'cli-empty');
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, 'no facts\n0 facts in all\n');
  });

  it('memory.list refuses a bad page with -32602', async () => {
    const client = await daemon.connect({ memoryNamespace: 'cli-ls' });
    try {
      await assert.rejects(
        client.call('memory.list', { limit: 0 }),
        (error: { code: number; message: string }) => error.code === -32602 && /limit/.test(error.message),
      );
    } finally {
      client.close();
    }
  });
});
