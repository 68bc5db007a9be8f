import assert from 'node:assert/strict';
import { readFileSync, rmSync } from 'node:fs';
import { describe, it } from 'node:test';
import { splitAuthToken } from '../../../src/cli/secret-flags.js';
import { runPaths } from '../../../src/paths.js';
import { runCli } from '../../helpers/cli.js';
import { startDaemon, testEnv } from '../../helpers/daemon.js';
import { tempStateRoot } from '../../helpers/paths.js';

/** Issue 12, defects 7 and 8. */
describe('auth token and --no-auth at start', () => {
  it('takes --auth-token out of the arguments in both spellings', () => {
    assert.deepEqual(splitAuthToken(['--port', '0', '--auth-token', 'secret-1', '--no-approvals']), {
      flags: ['--port', '0', '--no-approvals'],
      token: 'secret-1',
    });
    assert.deepEqual(splitAuthToken(['--auth-token=secret-2']), { flags: [], token: 'secret-2' });
  });

  it('a detached daemon gets --auth-token by environment: never in its argv nor in the lock, and the token works', async () => {
    const stateRoot = tempStateRoot();
    const env = testEnv(stateRoot);
    const token = 'detached-secret-token-7d1f';
    try {
      const started = await runCli(['daemon', 'start', '--port', '0', '--auth-token', token], env);
      assert.equal(started.code, 0, started.stderr);
      const lockText = readFileSync(runPaths(stateRoot).lock, 'utf8');
      assert.ok(!lockText.includes(token), 'the lock holds no token');
      const { pid } = JSON.parse(lockText) as { pid: number };
      const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      assert.ok(!argv.includes(token), 'the daemon argv holds no token');
      assert.equal(readFileSync(runPaths(stateRoot).token, 'utf8').trim(), token);
      const listed = await runCli(['sessions', 'list', '--json'], env);
      assert.equal(listed.code, 0, listed.stderr);
    } finally {
      await runCli(['daemon', 'stop'], env);
      rmSync(stateRoot, { recursive: true, force: true });
    }
  });

  it('--no-auth warns on stderr and in the log, and daemon status says auth is off', async () => {
    const daemon = await startDaemon({ args: ['--no-auth'] });
    try {
      assert.match(daemon.logs(), /warning: authentication is OFF/);
      assert.match(daemon.logs(), /WARN  authentication is off/);
      const status = await runCli(['daemon', 'status'], daemon.env);
      assert.match(status.stdout, /^auth +off \(any local program can connect with host rights\)$/m);
    } finally {
      await daemon.stop();
      rmSync(daemon.stateRoot, { recursive: true, force: true });
    }
  });
});
