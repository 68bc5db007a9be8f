import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (tests run from dist/test/…). */
export const REPO_ROOT = resolve(fileURLToPath(new URL('../../../', import.meta.url)));
export const RUN_JS = join(REPO_ROOT, 'bin', 'run.js');
/** The tiny real models shared with the team; never copied into the project. */
export const SHARED_MODELS = resolve(REPO_ROOT, '..', 'shared', 'models');

/** A throwaway state root (CAR_HOME). */
export function tempStateRoot(prefix = 'car-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}
