import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Journal, type JournalEvent } from '../../../src/daemon/journal/journal.js';
import { replayJournal } from '../../../src/daemon/journal/replay.js';
import { readJsonLines } from '../../helpers/journal.js';
import { tempStateRoot } from '../../helpers/paths.js';
import { SmallFilesystem } from '../../helpers/small-filesystem.js';
import { waitFor } from '../../helpers/wait.js';

/** Every line of every file parses, and `seq` runs 1, 2, 3… in each file. */
function assertWhole(dir: string): JournalEvent[] {
  const all: JournalEvent[] = [];
  for (const name of readdirSync(dir)
    .filter((file) => file.endsWith('.jsonl'))
    .sort()) {
    const events = readJsonLines<JournalEvent>(join(dir, name));
    assert.deepEqual(
      events.map((event) => event.seq),
      events.map((_, index) => index + 1),
      `seq of ${name}`,
    );
    all.push(...events);
  }
  return all;
}

/** Issue 26, item 1: the journal never throws, never tears a line and never loses a sequence number. */
describe('the journal when writes fail', () => {
  it('keeps events while its directory cannot be written, retries every second and writes them in order once it can', async () => {
    const root = tempStateRoot();
    const dir = join(root, 'journals');
    writeFileSync(dir, 'a file where the directory should be');
    const journal = new Journal(dir);
    for (let index = 0; index < 5; index++) assert.doesNotThrow(() => journal.append('session_created', `s${index}`, { remote: 'x' }));
    const failing = journal.status();
    assert.equal(failing.failing, true);
    assert.ok(failing.failures >= 1);
    assert.equal(failing.pending, 5);
    assert.match(failing.last_error!, /EEXIST|ENOTDIR/);

    rmSync(dir);
    await waitFor(() => journal.status().pending === 0, 'the retry to write the events', 5000);
    journal.append('daemon_stopped', null, { reason: 'test' });
    journal.close();
    const events = assertWhole(dir);
    assert.deepEqual(
      events.map((event) => event.session_id),
      ['s0', 's1', 's2', 's3', 's4', null],
    );
    assert.equal(journal.status().failing, false);
  });

  it('counts the events beyond its 8 MiB backlog and journals the gap, so no sequence number is missing', async () => {
    const root = tempStateRoot();
    const dir = join(root, 'journals');
    writeFileSync(dir, 'not a directory');
    const journal = new Journal(dir);
    const blob = 'b'.repeat(100 * 1024);
    for (let index = 0; index < 100; index++) journal.append('a2ui_applied', null, { index, blob });
    const held = journal.status();
    assert.ok(held.pending < 100 && held.dropped === 100 - held.pending, JSON.stringify(held));
    rmSync(dir);
    await waitFor(() => journal.status().pending === 0, 'the backlog to be written', 5000);
    journal.append('host_notification', null, { after: true });
    journal.close();
    const events = assertWhole(dir);
    const gap = events.find((event) => event.kind === 'journal_gap')!;
    assert.deepEqual(gap.data.by_kind, { a2ui_applied: held.dropped });
    assert.equal(events.at(-1)!.kind, 'host_notification');
    assert.ok(replayJournal(join(dir, readdirSync(dir)[0]!)).problems.some((problem) => problem.includes(`${held.dropped} event(s) before seq`)));
  });

  it('cuts a write that a full disk stopped half-way back to its last whole line, and writes it whole once there is room', async (t) => {
    const fs = SmallFilesystem.mount(8);
    if (typeof fs === 'string') return t.skip(fs);
    try {
      const dir = join(fs.dir, 'journals');
      const journal = new Journal(dir);
      journal.append('daemon_started', null, {});
      fs.fill();
      // Larger than the last block's slack: part of it fits, the rest does not.
      journal.append('session_created', 'big', { remote: 'r'.repeat(64 * 1024) });
      assert.equal(journal.status().failing, true);
      const text = readFileSync(journal.file, 'utf8');
      assert.ok(
        text.endsWith('\n') &&
          text
            .split('\n')
            .filter(Boolean)
            .every((each) => JSON.parse(each)),
        'only whole lines on disk',
      );
      fs.free();
      await waitFor(() => journal.status().pending === 0, 'the retry', 5000);
      journal.close();
      assert.deepEqual(
        assertWhole(dir).map((event) => event.kind),
        ['daemon_started', 'session_created'],
      );
    } finally {
      fs.unmount();
    }
  });
});

describe('journal rotation and retention', () => {
  it('starts a new part at the rotation size, seq from 1, and deletes the oldest journal files beyond the kept total', () => {
    const dir = join(tempStateRoot(), 'journals');
    mkdirSync(dir, { mode: 0o700 });
    const old = ['20250101T000000Z-1.jsonl', '20250102T000000Z-2.jsonl', '20250102T000000Z-2-2.jsonl'];
    old.forEach((name, index) => {
      writeFileSync(join(dir, name), 'x'.repeat(40 * 1024) + '\n');
      utimesSync(join(dir, name), new Date(2025, 0, index + 1), new Date(2025, 0, index + 1));
    });
    writeFileSync(join(dir, 'evolution.jsonl'), 'not ours\n');
    const journal = new Journal(dir, new Date(), { rotateBytes: 16 * 1024, keepBytes: 100 * 1024 });
    for (let index = 0; index < 400; index++) journal.append('session_created', `s${index}`, { remote: 'r'.repeat(100) });
    journal.close();
    const names = readdirSync(dir);
    assert.ok(names.includes('evolution.jsonl'), 'files that are not journal parts stay');
    assert.equal(names.includes(old[0]!), false, 'the oldest run is removed first');
    const parts = names.filter((name) =>
      name.startsWith(
        journal.file
          .split('/')
          .at(-1)!
          .replace(/(-\d+)?\.jsonl$/, ''),
      ),
    );
    assert.ok(parts.length >= 2, `rotated into ${parts.length} parts`);
    const total = names.filter((name) => /^\d{8}T/.test(name)).reduce((sum, name) => sum + readFileSync(join(dir, name)).length, 0);
    assert.ok(total <= 100 * 1024 + 16 * 1024, `${total} bytes kept`);
    for (const part of parts) {
      const events = readJsonLines<JournalEvent>(join(dir, part));
      assert.deepEqual(
        events.map((event) => event.seq),
        events.map((_, index) => index + 1),
        `seq restarts in ${part}`,
      );
    }
  });
});
