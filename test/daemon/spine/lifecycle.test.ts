import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { readLock } from '../../../src/daemon/root/lock.js';
import { runPaths } from '../../../src/paths.js';
import { runCli } from '../../helpers/cli.js';
import { startDaemon, testEnv } from '../../helpers/daemon.js';
import { tempStateRoot } from '../../helpers/paths.js';

/** State root, lock, start/stop and journal behaviour (docs/protocol.md#state-root, docs/protocol.md#journal) through real processes. */
describe('daemon lifecycle (docs/protocol.md#state-root)', () => {
  it('starts in the background, refuses a second daemon, reports status and stops cleanly', async () => {
    const stateRoot = tempStateRoot();
    const env = testEnv(stateRoot);
    const started = await runCli(['daemon', 'start', '--port', '0'], env);
    assert.equal(started.code, 0, started.stderr);
    assert.match(started.stdout, /url: +ws:\/\/127\.0\.0\.1:\d+/);
    assert.match(started.stdout, new RegExp(`token: +${runPaths(stateRoot).token}`));
    const lock = readLock(stateRoot)!;
    assert.deepEqual(Object.keys(lock).sort(), ['env', 'flags', 'pid', 'port', 'started_at', 'state_root', 'url', 'version']);

    const again = await runCli(['daemon', 'start', '--port', '0'], env);
    assert.equal(again.code, 0);
    assert.match(again.stdout, new RegExp(`already running \\(pid ${lock.pid}, ${lock.url}\\)`));

    const status = await runCli(['daemon', 'status', '--json'], env);
    assert.equal(status.code, 0, status.stderr);
    const parsed = JSON.parse(status.stdout);
    assert.equal(parsed.state, 'running');
    assert.equal(parsed.pid, lock.pid);
    assert.equal(parsed.protocol_version, 2);
    assert.equal(parsed.state_root, stateRoot);

    const stopped = await runCli(['daemon', 'stop'], env);
    assert.equal(stopped.code, 0, stopped.stderr);
    assert.match(stopped.stdout, new RegExp(`stopped \\(pid ${lock.pid}\\)`));
    assert.equal(existsSync(runPaths(stateRoot).token), false, 'token removed on clean stop');
    assert.equal(existsSync(runPaths(stateRoot).hostToken), false, 'host token removed on clean stop');
    assert.equal(existsSync(runPaths(stateRoot).lock), false, 'lock removed on clean stop');

    const after = await runCli(['daemon', 'status'], env);
    assert.equal(after.code, 3);
    assert.equal(after.stdout.trim(), 'stopped');
    const stopAgain = await runCli(['daemon', 'stop'], env);
    assert.equal(stopAgain.code, 0);
    assert.match(stopAgain.stdout, /not running/);
  });

  it('refuses a second foreground daemon on the same state root with exit 1', async () => {
    const daemon = await startDaemon();
    try {
      const second = await runCli(['daemon', 'start', '--foreground', '--port', '0'], daemon.env);
      assert.equal(second.code, 1);
      assert.match(second.stderr, new RegExp(`already running \\(pid ${daemon.pid}`));
    } finally {
      await daemon.stop();
    }
  });

  it('recovers the stale lock a kill -9 left behind, with a warning', async () => {
    const stateRoot = tempStateRoot();
    const killed = await startDaemon({ stateRoot });
    await killed.kill();
    assert.equal(existsSync(runPaths(stateRoot).lock), true, 'a killed daemon leaves its lock');
    assert.equal(existsSync(runPaths(stateRoot).token), true, 'a killed daemon leaves its token');
    const oldToken = killed.token();
    const next = await startDaemon({ stateRoot });
    try {
      assert.match(next.logs(), /WARN .*stale daemon lock/);
      assert.notEqual(next.token(), oldToken, 'the next start overwrites the token');
      const client = await next.connect();
      client.close();
    } finally {
      await next.stop();
    }
  });

  it('stops gracefully on SIGTERM: sessions closed with 1001, journal ends with daemon_stopped, tokens removed', async () => {
    const daemon = await startDaemon();
    const client = await daemon.connect();
    const secrets = [daemon.token(), daemon.hostToken()];
    const closed = new Promise<number>((resolve) => client.onClose((code) => resolve(code)));
    assert.equal(await daemon.stop(), 0);
    assert.equal(await closed, 1001);
    assert.equal(existsSync(runPaths(daemon.stateRoot).token), false);
    const journals = readdirSync(join(daemon.stateRoot, 'journals'));
    assert.equal(journals.length, 1);
    assert.match(journals[0]!, /^\d{8}T\d{6}Z-\d+\.jsonl$/);
    const file = join(daemon.stateRoot, 'journals', journals[0]!);
    assert.equal(statSync(file).mode & 0o777, 0o600);
    const events = readFileSync(file, 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    assert.deepEqual(
      events.map((e) => e.seq),
      events.map((_, i) => i + 1),
    );
    assert.equal(events[0].kind, 'daemon_started');
    const kinds = events.map((e) => e.kind);
    assert.ok(kinds.includes('session_created') && kinds.includes('session_authenticated') && kinds.includes('session_removed'));
    const removed = events.find((e) => e.kind === 'session_removed');
    assert.equal(removed.data.reason, 'daemon_shutdown');
    assert.equal(removed.data.close_code, 1001);
    assert.equal(events.at(-1).kind, 'daemon_stopped');
    assert.equal(events.at(-1).data.reason, 'SIGTERM');
    const text = readFileSync(file, 'utf8');
    for (const secret of secrets) assert.ok(!text.includes(secret), 'no secret in the journal');
  });

  it('stops on daemon.shutdown from a host session', async () => {
    const daemon = await startDaemon();
    const host = await daemon.connect({ asHost: true });
    assert.deepEqual(await host.call('daemon.shutdown', {}), { stopping: true });
    const [code] = await Promise.all([new Promise((resolve) => daemon.child.once('exit', resolve))]);
    assert.equal(code, 0);
  });

  it('refuses a relative CAR_HOME with exit 2, quoting it', async () => {
    const result = await runCli(['daemon', 'start', '--foreground'], { ...testEnv(tempStateRoot()), CAR_HOME: 'relative/dir' });
    assert.equal(result.code, 2);
    assert.match(result.stderr, /CAR_HOME must be an absolute path, got 'relative\/dir'/);
    const status = await runCli(['sessions', 'ls'], { ...testEnv(tempStateRoot()), CAR_HOME: 'x' });
    assert.equal(status.code, 2);
  });

  it('creates the state root 0700 and puts ~/.car/ journal dirs under it', async () => {
    const stateRoot = join(tempStateRoot(), 'nested-root');
    const daemon = await startDaemon({ stateRoot, args: ['--journal-dir', '~/.car/custom-journals'] });
    try {
      assert.equal(statSync(stateRoot).mode & 0o777, 0o700);
      const status = await (await daemon.connect()).call('daemon.status', {});
      assert.equal(status.journal_file.startsWith(join(stateRoot, 'custom-journals')), true);
      assert.equal(statSync(join(stateRoot, 'custom-journals')).mode & 0o777, 0o700);
    } finally {
      await daemon.stop();
    }
  });

  it('exits 1 with a hint when the port is taken', async () => {
    const daemon = await startDaemon();
    try {
      const other = await runCli(['daemon', 'start', '--foreground', '--port', String(daemon.port)], testEnv(tempStateRoot()));
      assert.equal(other.code, 1);
      assert.match(other.stderr, new RegExp(`port ${daemon.port} is in use`));
      assert.match(other.stderr, /Hint: pass --port or stop the other process/);
    } finally {
      await daemon.stop();
    }
  });

  it('refuses a non-loopback bind without --allow-remote (exit 2)', async () => {
    const result = await runCli(['daemon', 'start', '--foreground', '--bind', '0.0.0.0', '--port', '0'], testEnv(tempStateRoot()));
    assert.equal(result.code, 2);
    assert.match(result.stderr, /--allow-remote/);
  });

  it('restarts with the flags it was started with', async () => {
    const stateRoot = tempStateRoot();
    const env = testEnv(stateRoot);
    assert.equal((await runCli(['daemon', 'start', '--port', '0', '--no-auth'], env)).code, 0);
    const before = readLock(stateRoot)!;
    const restarted = await runCli(['daemon', 'restart'], env);
    assert.equal(restarted.code, 0, restarted.stderr);
    const after = readLock(stateRoot)!;
    assert.notEqual(after.pid, before.pid);
    assert.deepEqual(after.flags, ['--port', '0', '--no-auth']);
    assert.equal(existsSync(runPaths(stateRoot).token), false, 'still --no-auth after restart');
    assert.equal((await runCli(['daemon', 'stop'], env)).code, 0);
  });
});
