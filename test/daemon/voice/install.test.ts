import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync } from 'node:fs';
import { basename, join } from 'node:path';
import { describe, it } from 'node:test';
import { REPO_ROOT, tempStateRoot } from '../../helpers/paths.js';

describe('building the speech addon at npm install (native/build.mjs)', () => {
  it('never fails the install when the Debian packages are missing: it says so and leaves no addon behind', () => {
    const native = join(tempStateRoot('car-native-'), 'native');
    cpSync(join(REPO_ROOT, 'native'), native, { recursive: true, filter: (source) => basename(source) !== 'build' });
    const result = spawnSync(process.execPath, [join(native, 'build.mjs')], { env: { PATH: '/nonexistent' }, encoding: 'utf8' });
    assert.equal(result.status, 0, result.stderr);
    assert.match(
      result.stderr,
      /speech addon not built \(pkg-config does not find pocketsphinx and sphinxbase\); live transcription will be unavailable\. To enable it: sudo apt-get install pocketsphinx pocketsphinx-en-us libpocketsphinx-dev/,
    );
    assert.equal(existsSync(join(native, 'build')), false);
  });
});
