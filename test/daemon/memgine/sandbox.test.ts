import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import type { CarClient } from '../../../src/client/node.js';
import { startInProcess, type InProcessDaemon } from '../../helpers/in-process.js';
import { journalEvents } from '../../helpers/journal.js';
import { tempStateRoot } from '../../helpers/paths.js';
import { rejectsWith } from '../../helpers/rpc.js';

const fact = (id: string, body: string) => ({
  id,
  subject: 'file fact',
  body,
  kind: 'fact',
  constraint: false,
  confidence: 0.9,
  source: 'ws',
  created_at: '2024-01-02T03:04:05.000Z',
});

/** Persist and load (docs/protocol.md#memory-persist): confined to `<state root>/memory/`, atomic files, all-or-nothing loads. */
describe('memory.persist / memory.load sandbox (docs/protocol.md#memory-persist)', () => {
  let daemon: InProcessDaemon;
  let sandbox: string;
  let outside: string;
  let client: CarClient;

  before(async () => {
    daemon = await startInProcess();
    sandbox = join(daemon.stateRoot, 'memory');
    outside = tempStateRoot('car-outside-');
  });
  after(async () => {
    await daemon.close();
  });
  beforeEach(async () => {
    client?.close();
    client = await daemon.connect({ memoryNamespace: `ns-${Math.random().toString(36).slice(2)}` });
    await client.call('memory.add_fact', { subject: 'keep', body: 'this fact must survive every refused call' });
  });

  const assertUntouched = async () => {
    assert.equal(await client.call('memory.fact_count', {}), 1);
    assert.equal((await client.call('memory.query', { query: 'survive' }))[0]?.subject, 'keep');
  };

  it('round-trips a graph through a 0600 file and replaces the target graph on load', async () => {
    await client.call('memory.add_fact', { subject: 'rule', body: 'answer in English', kind: 'constraint' });
    assert.equal(await client.call('memory.persist', { path: 'backup.json' }), 2);
    const file = join(sandbox, 'backup.json');
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.deepEqual(
      readdirSync(sandbox).filter((name) => name.endsWith('.tmp')),
      [],
      'no temp file left behind',
    );
    const written = JSON.parse(readFileSync(file, 'utf8'));
    assert.equal(written.version, 1);
    assert.deepEqual(
      written.facts.map((f: { subject: string; constraint: boolean }) => [f.subject, f.constraint]),
      [
        ['keep', false],
        ['rule', true],
      ],
    );

    const other = await daemon.connect({ memoryNamespace: 'restore-target' });
    await other.call('memory.add_fact', { subject: 'old', body: 'replaced by the load' });
    assert.equal(await other.call('memory.load', { path: join(sandbox, 'backup.json') }), 2, 'absolute paths inside the sandbox are fine');
    assert.deepEqual(await other.call('memory.query', { query: 'replaced' }), []);
    const hits = await other.call('memory.query', { query: 'English' });
    assert.equal(hits[0]?.id, written.facts[1].id, 'loaded facts keep their ids');
    assert.equal(hits[0]?.kind, 'constraint');
    await other.call('memory.persist', { path: 'restored.json' });
    const restored = JSON.parse(readFileSync(join(sandbox, 'restored.json'), 'utf8'));
    assert.deepEqual(
      restored.facts.map(({ source, ...rest }: { source: string }) => [source, rest]),
      written.facts.map(({ source: _source, ...rest }: { source: string }) => ['load', rest]),
      'everything but the source survives the round trip',
    );
    other.close();
  });

  it('writes into subdirectories that exist and refuses ones that do not', async () => {
    mkdirSync(join(sandbox, 'nested'), { recursive: true });
    assert.equal(await client.call('memory.persist', { path: 'nested/one.json' }), 1);
    await rejectsWith(client.call('memory.persist', { path: 'missing/one.json' }), -32010, /directory 'missing' does not exist/);
  });

  it('refuses every way out of the sandbox and writes nothing outside', async () => {
    const target = join(outside, 'victim.json');
    writeFileSync(target, 'original');
    symlinkSync(target, join(sandbox, 'link-out.json'));
    symlinkSync(outside, join(sandbox, 'dir-out'));
    symlinkSync(join(outside, 'nothing-here.json'), join(sandbox, 'dangling.json'));
    mkdirSync(`${sandbox}-evil`, { recursive: true });

    const escapes: [string, RegExp][] = [
      ['../escape.json', /'\.\.' segments are not allowed/],
      ['nested/../../escape.json', /'\.\.' segments are not allowed/],
      ['..\\escape.json', /'\.\.' segments are not allowed/],
      [join(outside, 'abs.json'), /absolute paths must lie inside the memory sandbox/],
      [join(`${sandbox}-evil`, 'x.json'), /absolute paths must lie inside the memory sandbox/],
      ['/etc/passwd', /absolute paths must lie inside the memory sandbox/],
      ['link-out.json', /symlink that leads outside/],
      ['dir-out/x.json', /leads outside the memory sandbox/],
      ['dangling.json', /symlink to nothing/],
      ['.', /sandbox directory itself/],
      [sandbox, /sandbox directory itself/],
    ];
    for (const [path, reason] of escapes) {
      for (const method of ['memory.persist', 'memory.load'] as const) {
        await rejectsWith(client.request(method, { path }), -32602, new RegExp(`${method.replace('.', '\\.')} rejected path .*${reason.source}`));
      }
    }
    assert.equal(readFileSync(target, 'utf8'), 'original');
    assert.deepEqual(readdirSync(outside).sort(), ['victim.json']);
    assert.deepEqual(readdirSync(`${sandbox}-evil`), []);
    await assertUntouched();
  });

  it('refuses directories and non-files as fact files', async () => {
    mkdirSync(join(sandbox, 'a-dir'), { recursive: true });
    await rejectsWith(client.call('memory.load', { path: 'a-dir' }), -32602, /is a directory/);
    await rejectsWith(client.call('memory.persist', { path: 'a-dir' }), -32602, /is a directory/);
    await assertUntouched();
  });

  it('fails a load of a missing file with -32010 before resetting anything', async () => {
    await rejectsWith(client.call('memory.load', { path: 'never-written.json' }), -32010, /no fact file 'never-written\.json'/);
    await assertUntouched();
  });

  it('refuses corrupt fact files with a clear -32602 and leaves the graph as it was', async () => {
    const corrupt: [string, string, RegExp][] = [
      ['not-json.json', '{"version":1,"facts":[', /not valid JSON/],
      ['wrong-version.json', JSON.stringify({ version: 2, facts: [] }), /version: must be 1/],
      ['no-facts.json', JSON.stringify({ version: 1 }), /facts: /],
      ['blank-body.json', JSON.stringify({ version: 1, facts: [fact('a', ' ')] }), /facts\.0\.body: must not be blank/],
      ['bad-kind.json', JSON.stringify({ version: 1, facts: [fact('a', 'x'), { ...fact('b', 'y'), kind: 'rumour' }] }), /facts\.1\.kind: must be one of/],
      [
        'bad-date.json',
        JSON.stringify({ version: 1, facts: [{ ...fact('a', 'x'), created_at: 'yesterday' }] }),
        /facts\.0\.created_at: must be an ISO-8601 timestamp/,
      ],
      ['extra-key.json', JSON.stringify({ version: 1, facts: [{ ...fact('a', 'x'), secret: 1 }] }), /facts\.0: Unrecognized key/],
      ['dup-id.json', JSON.stringify({ version: 1, facts: [fact('same', 'one body'), fact('same', 'another body')] }), /facts\.1\.id: 'same' appears twice/],
      ['huge-body.json', JSON.stringify({ version: 1, facts: [fact('a', 'x'.repeat(16 * 1024 + 1))] }), /facts\.0\.body: must be at most 16 KiB/],
    ];
    for (const [name, content, reason] of corrupt) {
      writeFileSync(join(sandbox, name), content);
      await rejectsWith(
        client.call('memory.load', { path: name }),
        -32602,
        new RegExp(`memory\\.load: '${name.replace('.', '\\.')}' is not a valid fact file \\(.*${reason.source}.*the graph was left unchanged`),
      );
    }
    const secretBody = 'x'.repeat(16 * 1024 + 1);
    await rejectsWith(client.call('memory.load', { path: 'huge-body.json' }), -32602, new RegExp(`^(?!.*${secretBody.slice(0, 50)})`));
    await assertUntouched();
  });

  it('stores identical facts of a file once', async () => {
    writeFileSync(
      join(sandbox, 'dupes.json'),
      JSON.stringify({ version: 1, facts: [fact('a', 'same body'), fact('b', 'same body'), fact('c', 'other body')] }),
    );
    assert.equal(await client.call('memory.load', { path: 'dupes.json' }), 2);
    assert.equal(await client.call('memory.fact_count', {}), 2);
  });

  it('journals persist and load with the sandbox-relative path and a count only', async () => {
    await client.call('memory.persist', { path: 'journaled.json' });
    await client.call('memory.load', { path: 'journaled.json' });
    assert.deepEqual(journalEvents(daemon.state.journal, 'memory_persisted').at(-1)?.data, { path: 'journaled.json', count: 1 });
    assert.deepEqual(journalEvents(daemon.state.journal, 'memory_loaded').at(-1)?.data, { path: 'journaled.json', count: 1 });
  });
});
