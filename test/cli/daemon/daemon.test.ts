import assert from 'node:assert/strict';
import { appendFileSync, copyFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runCli } from '../../helpers/cli.js';
import { startDaemon, testEnv, type DaemonProcess } from '../../helpers/daemon.js';
import { tempStateRoot } from '../../helpers/paths.js';

/** The spine's CLI as a user runs it (README.md#command-line-conventions). */
describe('car CLI (spine commands)', () => {
  let daemon: DaemonProcess;
  before(async () => {
    daemon = await startDaemon();
  });
  after(async () => {
    await daemon.stop();
  });

  it('lists sessions as a table with the caller marked', async () => {
    const watcher = await daemon.connect();
    const result = await runCli(['sessions', 'ls'], daemon.env);
    assert.equal(result.code, 0, result.stderr);
    const [header, ...rows] = result.stdout.trim().split('\n');
    assert.match(header!, /^ID +REMOTE +ROLE +CONNECTED +SUBS +MEMORY +VOICE +MEETINGS$/);
    assert.equal(rows.length, 2);
    assert.equal(rows.filter((row) => / \* /.test(row)).length, 1);
    watcher.close();
  });

  it('lists sessions as JSON with --json (and under the list alias)', async () => {
    const result = await runCli(['sessions', 'list', '--json'], daemon.env);
    assert.equal(result.code, 0, result.stderr);
    const { sessions } = JSON.parse(result.stdout);
    assert.equal(sessions.filter((s: { is_self: boolean }) => s.is_self).length, 1);
  });

  it('exits 3 with a one-line cause and a hint when no daemon answers', async () => {
    const result = await runCli(['sessions', 'ls', '--url', 'ws://127.0.0.1:1'], daemon.env);
    assert.equal(result.code, 3);
    const lines = result.stderr.trim().split('\n');
    assert.equal(lines.length, 2);
    assert.match(lines[0]!, /^Error: no car daemon answers at ws:\/\/127\.0\.0\.1:1/);
    assert.match(lines[1]!, /^Hint: start it with `car daemon start`/);
  });

  it('exits 2 on a usage error, with a hint pointing at --help', async () => {
    const result = await runCli(['sessions', 'ls', '--nope'], daemon.env);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /^Error: Nonexistent flag: --nope\nHint: see `car sessions ls --help`/);
  });

  it('honours CAR_DAEMON_URL and --url', async () => {
    const viaEnv = await runCli(['sessions', 'ls', '--json'], { ...daemon.env, CAR_DAEMON_URL: daemon.url });
    assert.equal(viaEnv.code, 0, viaEnv.stderr);
    const wrongEnv = await runCli(['sessions', 'ls', '--url', daemon.url], { ...daemon.env, CAR_DAEMON_URL: 'ws://127.0.0.1:1' });
    assert.equal(wrongEnv.code, 0, '--url beats CAR_DAEMON_URL');
  });

  it('prints examples in --help for every spine command', async () => {
    for (const command of [
      ['daemon', 'start'],
      ['daemon', 'stop'],
      ['daemon', 'status'],
      ['daemon', 'restart'],
      ['sessions', 'ls'],
      ['replay'],
      ['config', 'set'],
    ]) {
      const result = await runCli([...command, '--help'], daemon.env);
      assert.equal(result.code, 0);
      assert.match(result.stdout, /EXAMPLES/, `${command.join(' ')} --help shows examples`);
    }
  });

  it('replays the journal offline, as a table and as JSON, and reports a torn last line', async () => {
    const journalDir = join(daemon.stateRoot, 'journals');
    const source = join(journalDir, readdirSync(journalDir)[0]!);
    const copy = join(tempStateRoot(), 'copy.jsonl');
    await new Promise((resolve) => setTimeout(resolve, 100));
    copyFileSync(source, copy);
    appendFileSync(copy, 'not json at all\n{"seq":999,"kind":"session_cr');
    const human = await runCli(['replay', copy], daemon.env);
    assert.equal(human.code, 0, human.stderr);
    assert.match(human.stdout, /^WHAT +STATE/);
    assert.match(human.stdout, /sessions +\d+ \(\d+ not removed\)/);
    assert.match(human.stderr, /not a journal event; skipped/);
    assert.match(human.stderr, /final line is incomplete/);
    const json = JSON.parse((await runCli(['replay', copy, '--json'], daemon.env)).stdout);
    assert.ok(json.sessions.length >= 1);
    assert.ok(json.events >= 3);
    assert.equal(json.problems.length, 2);
    const missing = await runCli(['replay', '/nonexistent.jsonl'], daemon.env);
    assert.equal(missing.code, 2);
  });
});

describe('car config', () => {
  it('sets, gets and lists settings in <state root>/config.json, refusing bad values', async () => {
    const env = testEnv(tempStateRoot());
    assert.equal((await runCli(['config', 'set', 'port', '9200'], env)).code, 0);
    const got = await runCli(['config', 'get', 'port'], env);
    assert.equal(got.stdout.trim(), '9200');
    const bad = await runCli(['config', 'set', 'port', 'ninety'], env);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /invalid value 'ninety' for port/);
    const unknownKey = await runCli(['config', 'set', 'colour', 'red'], env);
    assert.equal(unknownKey.code, 2);
    const listed = JSON.parse((await runCli(['config', 'list', '--json'], env)).stdout);
    assert.deepEqual(listed, { port: 9200 });
    const table = await runCli(['config', 'list'], env);
    assert.match(table.stdout, /^KEY +VALUE +ABOUT\nport +9200 /);
    const unset = await runCli(['config', 'get', 'url'], env);
    assert.equal(unset.code, 1);
  });

  it('makes clients use the configured url', async () => {
    const daemon = await startDaemon();
    try {
      const env = { ...daemon.env };
      writeFileSync(join(daemon.stateRoot, 'config.json'), JSON.stringify({ url: daemon.url }));
      // Without the lock's help: point CAR_HOME's lock away by asking through another state root with the same config.
      const other = tempStateRoot();
      writeFileSync(join(other, 'config.json'), JSON.stringify({ url: daemon.url }));
      const result = await runCli(['sessions', 'ls', '--json'], { ...env, CAR_HOME: other, CAR_AUTH_TOKEN: daemon.token() });
      assert.equal(result.code, 0, result.stderr);
    } finally {
      await daemon.stop();
    }
  });
});
