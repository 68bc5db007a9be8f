import { spawnSync } from 'node:child_process';
import { availableParallelism } from 'node:os';

/**
 * CPU pinning with taskset, so a server and its load generator each own a core instead of
 * the scheduler moving them around. Does nothing (and says so) without taskset or a second core.
 */
export const canPin: boolean = availableParallelism() >= 2 && spawnSync('taskset', ['--version']).status === 0;

/** Pins every thread of `pid` to `cpus` (a taskset list such as "0" or "0-1"). */
export function pin(pid: number, cpus: string): void {
  if (!canPin) return;
  const result = spawnSync('taskset', ['-a', '-p', '-c', cpus, String(pid)], { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`taskset could not pin ${pid} to ${cpus}: ${result.stderr}`);
}

export const allCpus = `0-${availableParallelism() - 1}`;
