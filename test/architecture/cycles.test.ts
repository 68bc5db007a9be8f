import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parseCircular, parseDependencyTree } from 'dpdm';
import { REPO_ROOT } from '../helpers/paths.js';

const ENGINES_DIR = 'src/daemon/voice/engines/';
/** A file inside one engine's folder (`engines/<engine>/…`), not the shared files beside them. */
const engineFolderOf = (file: string) =>
  file.startsWith(ENGINES_DIR) && file.slice(ENGINES_DIR.length).includes('/') ? file.slice(ENGINES_DIR.length).split('/')[0]! : null;

/** `npm run cycles` as a test: no import cycle anywhere in src/, type-only imports included (dpdm without transform). */
describe('module graph', () => {
  it('has no import cycle in src/', async () => {
    const tree = await parseDependencyTree('src/**/*.ts', { cwd: REPO_ROOT, context: REPO_ROOT, transform: false, tsconfig: `${REPO_ROOT}/tsconfig.json` });
    assert.ok(Object.keys(tree).length > 100, 'dpdm read the sources');
    assert.deepEqual(parseCircular(tree), []);
  });

  it('seals the speech engines: outside an engine folder, only the engine list imports it, and only its index', async () => {
    const tree = await parseDependencyTree('src/**/*.ts', { cwd: REPO_ROOT, context: REPO_ROOT, transform: false, tsconfig: `${REPO_ROOT}/tsconfig.json` });
    const leaks = Object.entries(tree).flatMap(([file, imports]) =>
      (imports ?? [])
        .filter((imported) => imported.id !== null && engineFolderOf(imported.id) !== null && engineFolderOf(imported.id) !== engineFolderOf(file))
        .filter((imported) => !(file === `${ENGINES_DIR}engines.ts` && imported.id!.endsWith('/index.ts')))
        .map((imported) => `${file} imports ${imported.id}`),
    );
    assert.ok(
      Object.keys(tree).some((file) => engineFolderOf(file) === 'whisper'),
      'dpdm read the engine folders',
    );
    assert.deepEqual(leaks, []);
  });

  it('keeps threads and native addons out of what the CLI loads with its settings: engines are loaded only by the daemon', async () => {
    // transform: type-only imports are erased at run time; dynamic import() is what defers an engine's implementation.
    const tree = await parseDependencyTree('src/settings.ts', {
      cwd: REPO_ROOT,
      context: REPO_ROOT,
      transform: true,
      skipDynamicImports: true,
      tsconfig: `${REPO_ROOT}/tsconfig.json`,
    });
    const loaded = Object.keys(tree).filter((file) => file.startsWith('src/'));
    assert.ok(loaded.includes(`${ENGINES_DIR}engines.ts`), 'settings read the engine list');
    const heavy = loaded.filter((file) => /from 'node:(worker_threads|module)'/.test(readFileSync(join(REPO_ROOT, file), 'utf8')));
    assert.deepEqual(heavy, []);
  });
});
