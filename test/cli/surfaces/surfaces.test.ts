import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runCli } from '../../helpers/cli.js';
import { startDaemon, type DaemonProcess } from '../../helpers/daemon.js';
import { RUN_JS, REPO_ROOT } from '../../helpers/paths.js';
import { components, create } from '../../daemon/a2ui/helpers.js';
import { waitFor } from '../../helpers/wait.js';

const FIXTURES = join(REPO_ROOT, 'test', 'daemon', 'a2ui', 'fixtures');

describe('car surfaces (README.md#command-line-conventions)', () => {
  let daemon: DaemonProcess;
  const car = (...args: string[]) => runCli([...args, '--url', daemon.url], daemon.env);
  before(async () => {
    daemon = await startDaemon();
  });
  after(async () => {
    await daemon.stop();
  });

  it('apply reads a JSONL file and reports each envelope', async () => {
    const applied = await car('surfaces', 'apply', join(FIXTURES, 'booking-form.jsonl'));
    assert.equal(applied.code, 0, applied.stderr);
    const lines = applied.stdout.trim().split('\n');
    assert.equal(lines.length, 7);
    assert.equal(lines[0], 'table-booking: revision 1, 0 components');
    assert.equal(lines[6], 'table-booking: revision 7, 12 components');
    const sample = await car('surfaces', 'apply', join(FIXTURES, 'order-summary.json'), '--json');
    assert.equal(sample.code, 0, sample.stderr);
    assert.equal(JSON.parse(sample.stdout).length, 3);
  });

  it('apply stops at the first refused envelope and says which one', async () => {
    const file = join(daemon.stateRoot, 'broken.jsonl');
    writeFileSync(file, `${JSON.stringify(create('broken'))}\n${JSON.stringify(components('broken', [{ id: 'root', component: 'Marquee' }]))}\n`);
    const result = await car('surfaces', 'apply', file);
    assert.equal(result.code, 1);
    assert.equal(result.stdout, 'broken: revision 1, 0 components\n');
    assert.match(result.stderr, /^Error: envelope 2 of 2: component type 'Marquee' /);
    assert.doesNotMatch(result.stderr, /code -32602/);
    writeFileSync(file, 'not json\n');
    const garbage = await car('surfaces', 'apply', file);
    assert.equal(garbage.code, 1);
    assert.match(garbage.stderr, /line 1 of .*broken\.jsonl is not JSON/);
  });

  it('ls lists surfaces as a table, as JSON, and under the list alias', async () => {
    const table = await car('surfaces', 'ls');
    assert.equal(table.code, 0, table.stderr);
    const [header, ...rows] = table.stdout.trim().split('\n');
    assert.match(header!, /^ID\s+OWNER\s+COMPONENTS\s+REVISION\s+UPDATED\s+EXPIRES$/);
    assert.ok(
      rows.some((row) => /^table-booking\s+session sess-[0-9a-f]+\s+12\s+7\s+\d+s ago\s+in 23h$/.test(row)),
      table.stdout,
    );
    const listed = await car('surfaces', 'list', '--json');
    assert.equal(listed.code, 0, listed.stderr);
    assert.deepEqual(
      JSON.parse(listed.stdout)
        .map((s: { surfaceId: string }) => s.surfaceId)
        .sort(),
      ['broken', 'order-7', 'table-booking'],
    );
  });

  it('show prints the component tree and the data model, or the record as JSON', async () => {
    const shown = await car('surfaces', 'show', 'table-booking');
    assert.equal(shown.code, 0, shown.stderr);
    assert.match(shown.stdout, /^surface {5}table-booking$/m);
    assert.match(shown.stdout, /^ {2}root {2}Card$/m);
    assert.match(shown.stdout, /^ {2}└─ form {2}Column$/m);
    assert.match(shown.stdout, /^ {5}├─ guest-row {2}Row$/m);
    assert.match(shown.stdout, /^ {5}│ {2}├─ guest-name {2}TextField "Name" \{\/guest\/name\}$/m);
    assert.match(shown.stdout, /^ {5}└─ book {2}Button$/m);
    assert.match(shown.stdout, /"name": "Ada Lovelace"/);
    const asJson = await car('surfaces', 'show', 'order-7', '--json');
    assert.equal(JSON.parse(asJson.stdout).surfaceId, 'order-7');
    const missing = await car('surfaces', 'show', 'nope');
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /^Error: no live surface 'nope'\nHint: list surfaces with `car surfaces ls`/);
  });

  it('watch prints a2ui.events live until Ctrl-C', async () => {
    const child = spawn(process.execPath, [RUN_JS, 'surfaces', 'watch', '--url', daemon.url], { env: daemon.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      await waitFor(() => (stderr.includes('watching A2UI surfaces') ? true : undefined), 'the watch banner', 20_000);
      const client = await daemon.connect();
      await client.call('a2ui.apply', { envelope: create('watched') });
      await client.call('a2ui.action', { name: 'poke', surfaceId: 'watched', sourceComponentId: 'root' });
      client.close();
      await waitFor(() => (stdout.split('\n').length >= 3 ? true : undefined), 'two event lines');
      const lines = stdout.trim().split('\n');
      assert.match(lines[0]!, /^\d\d:\d\d:\d\d {2}updated {2}watched {2}revision 1, 0 components$/);
      assert.match(lines[1]!, /^\d\d:\d\d:\d\d {2}action {3}watched {2}'poke' from root$/);
    } finally {
      child.kill('SIGINT');
    }
    assert.equal(await exited, 0, stderr);
  });
});
