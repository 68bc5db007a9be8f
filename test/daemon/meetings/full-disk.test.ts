import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { MeetingMetadata } from '../../../src/protocol/meeting.js';
import { startInProcess } from '../../helpers/in-process.js';
import { SmallFilesystem } from '../../helpers/small-filesystem.js';
import { waitFor } from '../../helpers/wait.js';
import { engineMissing } from '../voice/recordings.js';
import { pushAll } from '../voice/support.js';
import { meetingEvents, meetingPcm } from './support.js';

const fileStatus = (path: string): MeetingMetadata['status'] => (JSON.parse(readFileSync(join(path, 'meeting.json'), 'utf8')) as MeetingMetadata).status;

/** Issue 26, item 8: a meeting whose transcript hits a full disk. */
describe('a meeting on a full disk', { skip: engineMissing }, () => {
  it('is listed as failed, not recording, while the disk is full, and meeting.json follows once there is room', async (t) => {
    const fs = SmallFilesystem.mount(24);
    if (typeof fs === 'string') return t.skip(fs);
    const stateRoot = join(fs.dir, 'root');
    mkdirSync(stateRoot, { mode: 0o700 });
    const daemon = await startInProcess({ stateRoot });
    try {
      const owner = await daemon.connect();
      const started = await owner.call('meeting.start', { id: 'full-disk' });
      const events = meetingEvents(owner, started.id);
      // The transcript file is empty: its first line needs a block the disk no longer has.
      fs.fill();
      await pushAll(owner, started.voice_session_id!, meetingPcm(), 32000).catch(() => undefined);
      await waitFor(() => events.some((params) => params.event.type === 'error' && params.event.fatal), 'the fatal error event');

      const listed = await waitFor(
        async () => (await owner.call('meeting.list', {})).meetings.find((meeting) => meeting.id === started.id && meeting.status !== 'recording'),
        'the meeting to leave recording',
      );
      assert.equal(listed.status, 'failed');
      assert.equal(listed.segment_count, 0);
      assert.equal(fileStatus(started.path), 'recording', 'the disk is still full');

      fs.free();
      await waitFor(() => fileStatus(started.path) === 'failed', 'meeting.json to be written once there is room', 15_000);
      const record = await owner.call('meeting.get', { meeting_id: started.id });
      assert.equal(record.status, 'failed');
      assert.equal(record.stop_reason, 'error');
      owner.close();
    } finally {
      await daemon.close();
      fs.unmount();
    }
  });
});
