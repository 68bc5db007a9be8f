import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (tests run from dist/test/…). */
export const REPO_ROOT = resolve(fileURLToPath(new URL('../../../', import.meta.url)));
export const RUN_JS = join(REPO_ROOT, 'bin', 'run.js');
/**
 * The team's shared folder: `CAR_SHARED_DIR`, else `../shared` next to this checkout (as on
 * CI), else `../shared` next to the local checkout this one was cloned from (a throwaway
 * clone in /tmp).
 */
export const SHARED_DIR = process.env.CAR_SHARED_DIR ? resolve(process.env.CAR_SHARED_DIR) : findSharedDir();

function findSharedDir(): string {
  const beside = join(REPO_ROOT, '..', 'shared');
  if (existsSync(beside)) return beside;
  const origin = spawnSync('git', ['-C', REPO_ROOT, 'config', '--get', 'remote.origin.url'], { encoding: 'utf8' }).stdout?.trim();
  const besideOrigin = origin && isAbsolute(origin) ? join(origin, '..', 'shared') : null;
  return besideOrigin && existsSync(besideOrigin) ? besideOrigin : beside;
}
/** The tiny real models shared with the team; never copied into the project. */
export const SHARED_MODELS = join(SHARED_DIR, 'models');

const created: string[] = [];

/** A throwaway state root (CAR_HOME), removed with everything in it when the test process exits. */
export function tempStateRoot(prefix = 'car-test-'): string {
  if (created.length === 0) process.once('exit', removeTempRoots);
  const dir = mkdtempSync(join(tmpdir(), prefix));
  created.push(dir);
  return dir;
}

function removeTempRoots(): void {
  for (const dir of created.splice(0)) rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
}
