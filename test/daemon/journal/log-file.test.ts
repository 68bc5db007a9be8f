import assert from 'node:assert/strict';
import { closeSync, existsSync, openSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { LogFile } from '../../../src/daemon/log-file.js';
import { tempStateRoot } from '../../helpers/paths.js';
import { SmallFilesystem } from '../../helpers/small-filesystem.js';
import { waitFor } from '../../helpers/wait.js';

const line = (index: number) => `2026-01-01T00:00:00.000Z INFO  line ${index} ${'x'.repeat(100)}\n`;

/** Issue 26, item 2: the daemon's log file is rotated and bounded; item 1: a write it cannot make is counted, never thrown. */
describe('the daemon log file', () => {
  it('rotates at the size limit like copytruncate, keeping the configured number of parts', () => {
    const path = join(tempStateRoot(), 'daemon.log');
    const fd = openSync(path, 'a', 0o600);
    try {
      const file = new LogFile(fd, path, { rotateBytes: 64 * 1024, keepFiles: 2 });
      for (let index = 0; index < 3000; index++) file.write(line(index));
      assert.ok(statSync(path).size < 64 * 1024 + 200, `the live log is ${statSync(path).size} bytes`);
      assert.ok(existsSync(`${path}.1`) && existsSync(`${path}.2`));
      assert.equal(existsSync(`${path}.3`), false, 'only two parts are kept');
      assert.match(readFileSync(path, 'utf8'), /log rotated at 65536 bytes; previous part in .*daemon\.log\.1/);
      assert.match(readFileSync(path, 'utf8'), /line 2999 /, 'the newest line is in the live log');
      assert.deepEqual(file.status().failures, 0);
    } finally {
      closeSync(fd);
    }
  });

  it('never rotates a file that is not its own', () => {
    const path = join(tempStateRoot(), 'elsewhere.log');
    const fd = openSync(path, 'a', 0o600);
    try {
      const file = new LogFile(fd, null, { rotateBytes: 1024, keepFiles: 2 });
      for (let index = 0; index < 100; index++) file.write(line(index));
      assert.ok(statSync(path).size > 10_000);
      assert.equal(existsSync(`${path}.1`), false);
    } finally {
      closeSync(fd);
    }
  });

  it('counts writes a full disk refuses, keeps a bounded backlog and writes it once there is room', async (t) => {
    const fs = SmallFilesystem.mount(8);
    if (typeof fs === 'string') return t.skip(fs);
    const path = join(fs.dir, 'daemon.log');
    const fd = openSync(path, 'a', 0o600);
    try {
      const file = new LogFile(fd, path, { rotateBytes: 64 * 1024 * 1024 });
      file.write(line(0));
      fs.fill();
      // 4,000 lines are about 470 KiB: more than the 256 KiB held while writes fail.
      for (let index = 1; index <= 4000; index++) file.write(line(index));
      const failing = file.status();
      assert.equal(failing.failing, true);
      assert.match(failing.last_error!, /ENOSPC/);
      assert.ok(failing.pending > 0 && failing.pending < 4000, `${failing.pending} lines waiting`);
      assert.ok(failing.dropped > 0, 'the oldest lines beyond the backlog are counted as lost');
      fs.free();
      await waitFor(() => !file.status().failing, 'the retry to write the backlog', 10_000);
      const text = readFileSync(path, 'utf8');
      assert.match(text, /line 4000 /);
      assert.match(text, new RegExp(`log writes work again lines_lost=${failing.dropped} last_error=ENOSPC`));
      assert.ok(
        text
          .split('\n')
          .slice(0, -1)
          .every((each) => each.startsWith('2026-') || each.includes('log writes work again')),
        'no torn line',
      );
    } finally {
      closeSync(fd);
      fs.unmount();
    }
  });
});
