import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseCircular, parseDependencyTree } from 'dpdm';
import { REPO_ROOT } from '../helpers/paths.js';

/** `npm run cycles` as a test: no import cycle anywhere in src/, type-only imports included (dpdm without transform). */
describe('module graph', () => {
  it('has no import cycle in src/', async () => {
    const tree = await parseDependencyTree('src/**/*.ts', { cwd: REPO_ROOT, context: REPO_ROOT, transform: false, tsconfig: `${REPO_ROOT}/tsconfig.json` });
    assert.ok(Object.keys(tree).length > 100, 'dpdm read the sources');
    assert.deepEqual(parseCircular(tree), []);
  });
});
