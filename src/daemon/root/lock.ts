import { closeSync, openSync, readFileSync, renameSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { runPaths } from '../../paths.js';
import { CarError } from '../../errors.js';
import { log } from '../log.js';

export interface LockInfo {
  pid: number;
  port: number;
  url: string;
  version: string;
  started_at: string;
  state_root: string;
  /** The `car daemon start` flags, so `car daemon restart` can repeat them. */
  flags: string[];
  /** The `CAR_*` variables that shaped the daemon (no tokens), handed to the next one by `car daemon restart`. */
  env?: Record<string, string>;
}

export const lockPath = (stateRoot: string) => runPaths(stateRoot).lock;

export function readLock(stateRoot: string): LockInfo | null {
  try {
    return JSON.parse(readFileSync(lockPath(stateRoot), 'utf8')) as LockInfo;
  } catch {
    return null;
  }
}

/** The lock of a daemon whose process still runs, or null. */
export function readLiveLock(stateRoot: string): LockInfo | null {
  const lock = readLock(stateRoot);
  return lock && isProcessAlive(lock.pid) ? lock : null;
}

/**
 * Does `pid` still run? A zombie does not: a daemon killed with SIGKILL whose parent has not
 * reaped it (a detached daemon under a PID 1 that never reaps) still answers `kill(pid, 0)`,
 * which made `car daemon status` say stopped while `car daemon start` said already running.
 */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  return !isZombie(pid);
}

function isZombie(pid: number): boolean {
  try {
    // /proc/<pid>/stat: "pid (comm) state …"; comm may hold spaces or parentheses, so read after the last ')'.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) === 'Z';
  } catch {
    return false;
  }
}

/**
 * Takes the one-daemon-per-state-root lock (docs/protocol.md#state-root). A lock whose pid is gone was left by a
 * killed daemon and is replaced with a warning; a live one refuses the start.
 */
export function acquireLock(stateRoot: string, info: LockInfo): void {
  const path = lockPath(stateRoot);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, 'wx', 0o600);
      writeSync(fd, JSON.stringify(info, null, 2) + '\n');
      closeSync(fd);
      return;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const holder = readLock(stateRoot);
    if (holder && holder.pid !== process.pid && isProcessAlive(holder.pid)) {
      throw new CarError(`already running (pid ${holder.pid}, ${holder.url})`, 'stop it with `car daemon stop`, or use another CAR_HOME');
    }
    log.warn('replacing a stale daemon lock left by a process that no longer runs', { path, pid: holder?.pid });
    rmSync(path, { force: true });
  }
  throw new CarError(`could not take the daemon lock ${path}`, 'another daemon may be starting at the same moment; try again');
}

/** Rewrites the lock once the port is known (a `--port 0` start learns it only after binding). */
export function updateLock(stateRoot: string, info: LockInfo): void {
  const path = lockPath(stateRoot);
  const temp = `${path}.${process.pid}.tmp`;
  writeFileSync(temp, JSON.stringify(info, null, 2) + '\n', { mode: 0o600 });
  renameSync(temp, path);
}

export function releaseLock(stateRoot: string): void {
  const holder = readLock(stateRoot);
  if (holder?.pid === process.pid) rmSync(lockPath(stateRoot), { force: true });
}
