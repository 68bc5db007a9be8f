import { spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import { Flags } from '@oclif/core';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CarClient } from '../client/node.js';
import { isProcessAlive, readLiveLock, readLock, type LockInfo } from '../daemon/root/lock.js';
import { ensurePrivateDir, stateDirs } from '../daemon/root/state-root.js';
import { childEnvironment } from '../config/environment.js';
import { CarError } from '../errors.js';
import { resolveStateRoot, runPaths } from '../paths.js';
import type { Progress } from './render.js';
import { splitAuthToken } from './secret-flags.js';

const RUN_JS = fileURLToPath(new URL('../../../bin/run.js', import.meta.url));

export const modelsDirFlag = Flags.string({
  description: 'directory of .gguf models (also CAR_MODELS_DIR) [default: the `models_dir` setting, else <state root>/models]',
});

export interface BackgroundOptions {
  /** The port asked for, if any: a daemon already running on another one is an error, not "already running". */
  port?: number;
  /** `CAR_*` variables for the new daemon on top of this process's (a restart repeats the old daemon's). */
  env?: Record<string, string>;
}

export type StartOutcome = { kind: 'started' | 'already_running'; lock: LockInfo; tokenFile: string | null; logFile: string };

/** Is a daemon running on this state root and answering at the URL in its lock? */
export async function findRunningDaemon(stateRoot: string): Promise<LockInfo | null> {
  const lock = readLiveLock(stateRoot);
  if (!lock) return null;
  return (await answers(lock.url, stateRoot)) ? lock : null;
}

/**
 * Starts the daemon as a detached child running `car daemon start --foreground` with the
 * same flags, logging to `logs/daemon.log`, and waits until it answers a handshake.
 */
export async function startInBackground(argv: string[], spinner: Progress, options: BackgroundOptions = {}, timeoutMs = 20_000): Promise<StartOutcome> {
  const stateRoot = resolveStateRoot();
  const logFile = join(stateDirs(stateRoot).logs, 'daemon.log');
  const tokenFile = () => (existsSync(runPaths(stateRoot).token) ? runPaths(stateRoot).token : null);
  const running = await findRunningDaemon(stateRoot);
  if (running && options.port !== undefined && options.port !== 0 && running.port !== options.port) {
    throw new CarError(
      `a daemon already runs for this state root on port ${running.port} (pid ${running.pid}), not on ${options.port}`,
      `stop it first (\`car daemon stop\`), or use another CAR_HOME for a second daemon`,
    );
  }
  if (running) return { kind: 'already_running', lock: running, tokenFile: tokenFile(), logFile };

  ensurePrivateDir(stateRoot);
  ensurePrivateDir(stateDirs(stateRoot).logs);
  const logFd = openSync(logFile, 'a', 0o600);
  const logStart = readSize(logFile);
  const { flags, token } = splitAuthToken(argv.filter((arg) => arg !== '--json'));
  const child = spawn(process.execPath, [RUN_JS, 'daemon', 'start', '--foreground', ...flags], {
    detached: true,
    stdio: ['ignore', logFd, logFd],
    env: childEnvironment(token === undefined ? options.env : { ...options.env, CAR_AUTH_TOKEN: token }),
  });
  closeSync(logFd);
  child.unref();
  let exitCode: number | null = null;
  child.once('exit', (code) => (exitCode = code ?? 1));

  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (exitCode !== null) {
      const reason = lastLogLine(logFile, logStart);
      throw new CarError(`the daemon exited during start-up (status ${exitCode})${reason ? `: ${reason}` : ''}`, `see ${logFile}`, exitCode === 2 ? 2 : 1);
    }
    const lock = readLock(stateRoot);
    if (lock && lock.pid === child.pid && lock.port !== 0 && (await answers(lock.url, stateRoot))) {
      return { kind: 'started', lock, tokenFile: tokenFile(), logFile };
    }
    spinner.update(`starting the car daemon (pid ${child.pid})`);
    await sleep(100);
  }
  throw new CarError(`the daemon did not answer within ${timeoutMs / 1000}s`, `see ${logFile}`);
}

/** Asks the daemon to stop with `daemon.shutdown`, then SIGTERM, then SIGKILL after the timeout. */
export async function stopDaemon(timeoutMs: number): Promise<{ stopped: LockInfo | null; forced: boolean }> {
  const stateRoot = resolveStateRoot();
  const lock = readLock(stateRoot);
  if (!lock || !isProcessAlive(lock.pid)) return { stopped: null, forced: false };

  let asked = false;
  try {
    const client = await CarClient.connect({ url: lock.url, asHost: true, stateRoot, connectTimeoutMs: 2000 });
    await client.call('daemon.shutdown', {}, { timeoutMs: 5000 });
    client.close();
    asked = true;
  } catch {
    signal(lock.pid, 'SIGTERM');
  }
  if (await exited(lock.pid, timeoutMs)) return { stopped: lock, forced: false };
  if (asked) signal(lock.pid, 'SIGTERM');
  if (await exited(lock.pid, 2000)) return { stopped: lock, forced: false };
  signal(lock.pid, 'SIGKILL');
  await exited(lock.pid, 2000);
  return { stopped: lock, forced: true };
}

/** A process that has exited meanwhile is fine; one this user may not signal means the lock is not ours to act on. */
function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return;
    if ((error as NodeJS.ErrnoException).code === 'EPERM') {
      throw new CarError(
        `cannot signal the daemon's pid ${pid} (EPERM)`,
        'the lock may be stale and the pid reused by another user; check `car daemon status`',
      );
    }
    throw error;
  }
}

async function answers(url: string, stateRoot: string): Promise<boolean> {
  try {
    const client = await CarClient.connect({ url, stateRoot, connectTimeoutMs: 1000 });
    client.close();
    return true;
  } catch {
    return false;
  }
}

async function exited(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!isProcessAlive(pid)) return true;
    await sleep(50);
  }
  return !isProcessAlive(pid);
}

function readSize(file: string): number {
  try {
    return readFileSync(file).length;
  } catch {
    return 0;
  }
}

function lastLogLine(file: string, from: number): string | null {
  try {
    const lines = readFileSync(file).subarray(from).toString('utf8').trim().split('\n');
    const error = lines.reverse().find((line) => /ERROR|Error:/.test(line)) ?? lines[0];
    return error?.replace(/^\S+ ERROR\s+/, '').replace(/^Error: /, '') ?? null;
  } catch {
    return null;
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
