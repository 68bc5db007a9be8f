import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import type { MeetingEntry, MeetingRecord } from '../../../src/protocol/meeting.js';
import { runCli } from '../../helpers/cli.js';
import { startDaemon, testEnv } from '../../helpers/daemon.js';
import { engineMissing } from '../../daemon/voice/recordings.js';
import { meetingWav, stateRootWithStories } from '../../daemon/meetings/support.js';

/** Issue 27, item 7: `car meeting ls/show/export` with no daemon running read the state root themselves. */
describe('car meeting ls/show/export offline', { skip: engineMissing }, () => {
  const stateRoot = stateRootWithStories();
  const env = testEnv(stateRoot);
  let cutOff: string;

  before(async () => {
    const daemon = await startDaemon({ stateRoot });
    const recorded = await runCli(['meeting', 'start', meetingWav(), '--id', 'kept', '--title', 'kept offline'], daemon.env);
    assert.equal(recorded.code, 0, recorded.stderr);
    const client = await daemon.connect();
    const live = await client.call('meeting.start', { id: 'cut-off' });
    // Killed mid-meeting: its meeting.json still says recording.
    await daemon.kill();
    cutOff = readFileSync(join(live.path, 'meeting.json'), 'utf8');
    assert.match(cutOff, /"status": "recording"/);
  });

  it('lists, shows and exports from disk with a notice, showing a meeting cut off as interrupted without touching it', async () => {
    const listed = await runCli(['meeting', 'ls', '--json'], env);
    assert.equal(listed.code, 0, listed.stderr);
    assert.match(listed.stderr, new RegExp(`^no car daemon answers at .*; reading ${stateRoot} directly$`, 'm'));
    const { meetings } = JSON.parse(listed.stdout) as { meetings: MeetingEntry[] };
    assert.deepEqual(meetings.map((meeting) => [meeting.id, meeting.status]).sort(), [
      ['cut-off', 'interrupted'],
      ['kept', 'stopped'],
    ]);
    const table = await runCli(['meeting', 'ls'], env);
    assert.match(table.stdout, /^kept +kept offline +stopped +/m);

    const shown = await runCli(['meeting', 'show', 'kept'], env);
    assert.equal(shown.code, 0, shown.stderr);
    assert.match(shown.stdout, /^ {2}\[00:00\] go forward ten meters$/m);
    const record = JSON.parse((await runCli(['meeting', 'show', 'kept', '--json'], env)).stdout) as MeetingRecord;
    assert.ok(record.summary && record.transcript.length >= 3);

    const exported = await runCli(['meeting', 'export', 'kept'], env);
    assert.equal(exported.code, 0, exported.stderr);
    assert.match(exported.stdout, /^# kept offline\n\n## Summary\n\n### Key points\n/);
    const srt = await runCli(['meeting', 'export', 'kept', '--format', 'srt'], env);
    assert.match(srt.stdout, /^1\n00:00:00,\d{3} --> /);

    const unknown = await runCli(['meeting', 'show', 'nope'], env);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /^Error: unknown meeting 'nope'; list meetings with `car meeting ls`$/m);
    assert.equal(readFileSync(join(stateRoot, 'meetings', 'cut-off', 'meeting.json'), 'utf8'), cutOff, 'a reader writes nothing');
  });

  it('does not read the state root when a daemon was named (--url): that daemon is the one asked', async () => {
    const named = await runCli(['meeting', 'ls', '--url', 'ws://127.0.0.1:9'], env);
    assert.equal(named.code, 3);
    assert.match(named.stderr, /^Error: no car daemon answers at ws:\/\/127\.0\.0\.1:9/);
  });
});
