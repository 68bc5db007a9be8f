import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (tests run from dist/test/…). */
export const REPO_ROOT = resolve(fileURLToPath(new URL('../../../', import.meta.url)));
export const RUN_JS = join(REPO_ROOT, 'bin', 'run.js');
/** The team's shared folder: `../shared` next to the checkout (as on CI), or `CAR_SHARED_DIR` for a checkout elsewhere. */
export const SHARED_DIR = resolve(process.env.CAR_SHARED_DIR ?? join(REPO_ROOT, '..', 'shared'));
/** The tiny real models shared with the team; never copied into the project. */
export const SHARED_MODELS = join(SHARED_DIR, 'models');

/** A throwaway state root (CAR_HOME). */
export function tempStateRoot(prefix = 'car-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}
