import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import type { LockInfo } from '../../../src/daemon/root/lock.js';
import { runPaths } from '../../../src/paths.js';
import { runCli } from '../../helpers/cli.js';
import { testEnv } from '../../helpers/daemon.js';
import { RUN_JS, SHARED_MODELS, tempStateRoot } from '../../helpers/paths.js';
import { waitFor } from '../../helpers/wait.js';

/** `car daemon start|status|logs|restart` with a background daemon, as a user drives it. */
describe('car daemon (background)', () => {
  const stateRoot = tempStateRoot();
  // Started with CAR_MODELS_DIR; every later command runs without it, as from another shell.
  const startEnv = testEnv(stateRoot, { CAR_MODELS_DIR: SHARED_MODELS, CAR_HANDLER_TIMEOUT: '120' });
  const env = testEnv(stateRoot, { CAR_MODELS_DIR: undefined });
  const car = (...argv: string[]) => runCli(argv, env);
  const lock = () => JSON.parse(readFileSync(runPaths(stateRoot).lock, 'utf8')) as LockInfo;

  before(async () => {
    const started = await runCli(['daemon', 'start', '--port', '0'], startEnv);
    assert.equal(started.code, 0, started.stderr);
  });
  after(() => car('daemon', 'stop'));

  it('status prints the log path and whether auth is on; logs prints the last lines', async () => {
    const status = await car('daemon', 'status');
    assert.equal(status.code, 0, status.stderr);
    assert.match(status.stdout, new RegExp(`^log +${stateRoot}/logs/daemon\\.log `, 'm'));
    assert.match(status.stdout, /^auth +on$/m);
    const json = JSON.parse((await car('daemon', 'status', '--json')).stdout);
    assert.equal(json.log_file, `${stateRoot}/logs/daemon.log`);
    assert.equal(json.auth_enabled, true);
    const logs = await car('daemon', 'logs');
    assert.equal(logs.code, 0, logs.stderr);
    assert.match(logs.stdout, /^\S+ INFO +car daemon listening url=ws:\/\/127\.0\.0\.1:\d+ /m);
    // Then the sign-ins and sign-outs of the commands since (issue 27).
    assert.match(logs.stdout, /^\S+ INFO +session signed out session=sess-\S+ role=client reason=client_closed/m);
    const last = await car('daemon', 'logs', '-n', '1');
    assert.equal(last.stdout.split('\n').length, 2, 'one line');
  });

  it('start with another --port than the running daemon says so and exits 1; without --port it is already running', async () => {
    const { port, pid } = lock();
    const other = await car('daemon', 'start', '--port', String(port === 65535 ? 65534 : port + 1));
    assert.equal(other.code, 1);
    assert.match(
      other.stderr,
      new RegExp(`^Error: a daemon already runs for this state root on port ${port} \\(pid ${pid}\\), not on \\d+\\nHint: stop it first`),
    );
    const same = await car('daemon', 'start');
    assert.equal(same.code, 0, same.stderr);
    assert.match(same.stdout, new RegExp(`already running \\(pid ${pid}, `));
  });

  it('a port in use is reported once', async () => {
    const result = await runCli(['daemon', 'start', '--port', String(lock().port)], testEnv(tempStateRoot()));
    assert.equal(result.code, 1);
    assert.equal(result.stderr.match(/is in use/g)?.length, 1, result.stderr);
  });

  it('restart keeps the models directory and the other CAR_* settings it was started with', async () => {
    const before = lock();
    const restarted = await car('daemon', 'restart');
    assert.equal(restarted.code, 0, restarted.stderr);
    assert.notEqual(lock().pid, before.pid);
    assert.equal(lock().env?.CAR_HANDLER_TIMEOUT, '120');
    const models = await car('models', 'ls', '--json');
    assert.equal(models.code, 0, models.stderr);
    assert.equal(JSON.parse(models.stdout).models_dir, SHARED_MODELS);
    assert.ok(JSON.parse(models.stdout).models.some((model: { name: string }) => model.name === 'stories260K'));
  });

  it('--follow commands reconnect after a restart with a one-line notice', async () => {
    const child = spawn(process.execPath, [RUN_JS, 'host', 'events', '--follow'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = once(child, 'exit');
    try {
      await waitFor(() => stderr.includes('following host events'), 'the follow to start', 20_000);
      assert.equal((await car('daemon', 'restart')).code, 0);
      await waitFor(() => (stderr.match(/following host events/g)?.length ?? 0) === 2, `the follow to reconnect (stderr: ${stderr})`, 20_000);
      assert.equal(stderr.match(/the daemon closed the connection \(restarted or stopped\); reconnecting until Ctrl-C/g)?.length, 1, stderr);
      assert.equal((await car('host', 'notify', 'after the restart')).code, 0);
      await waitFor(() => stdout.includes('after the restart'), `the event from the new daemon (stdout: ${stdout})`, 20_000);
      assert.equal(child.exitCode, null, 'still following');
    } finally {
      child.kill('SIGINT');
    }
    const [code] = (await exited) as [number | null];
    assert.equal(code, 0, stderr);
  });

  it('right after kill -9, status says stopped and start starts', async () => {
    process.kill(lock().pid, 'SIGKILL');
    await waitFor(() => !isRunning(lock().pid), 'the daemon to die', 10_000);
    const status = await car('daemon', 'status');
    assert.equal(status.code, 3, status.stdout + status.stderr);
    assert.equal(status.stdout, 'stopped\n');
    const started = await car('daemon', 'start', '--port', '0');
    assert.equal(started.code, 0, started.stderr);
    assert.match(started.stdout, /car daemon started|url: /);
    assert.equal((await car('daemon', 'status')).code, 0);
  });

  it('stop answers "stopped" only once the daemon process has exited and its port is closed', async () => {
    const { pid, url } = lock();
    const stopped = await car('daemon', 'stop');
    assert.equal(stopped.stdout, `stopped (pid ${pid})\n`);
    assert.equal(isRunning(pid), false, 'exited (a zombie nobody reaped yet has exited)');
    const after = await runCli(['daemon', 'status', '--url', url], env);
    assert.equal(after.code, 3, 'nothing answers on its port');
  });
});

/** Alive and not a zombie (an unreaped daemon still answers kill(pid, 0)). */
function isRunning(pid: number): boolean {
  try {
    return !/\) Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}
