import assert from 'node:assert/strict';
import { copyFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { MeetingMetadata } from '../../../src/protocol/meeting.js';
import { startDaemon } from '../../helpers/daemon.js';
import { engineMissing } from '../voice/recordings.js';
import { pushAll } from '../voice/support.js';
import { finals, meetingEvents, meetingPcm } from './support.js';
import { journalEvents } from '../../helpers/journal.js';
import { waitFor } from '../../helpers/wait.js';

/** Meetings that end badly (docs/protocol.md#meeting-lifecycle), with real daemon processes: SIGKILL mid-meeting, then a restart on the same state root; and SIGTERM. */
describe('meetings across daemon deaths', { skip: engineMissing }, () => {
  it('kill -9 mid-meeting loses no segment a client received; the restart marks the meeting interrupted', async () => {
    const first = await startDaemon();
    const client = await first.connect({ memoryNamespace: 'meetings' });
    const started = await client.call('meeting.start', { title: 'cut off' });
    const events = meetingEvents(client, started.id);
    const KILL_AFTER = 4;
    client.on('voice.event', ({ meeting_id, event }) => {
      // Killed the moment the client holds the Nth segment: nothing after this point may be needed.
      if (meeting_id === started.id && event.type === 'transcript' && finals(events).length === KILL_AFTER) first.child.kill('SIGKILL');
    });
    await pushAll(client, started.voice_session_id!, meetingPcm(3), 32000).catch(() => undefined);
    await first.kill();
    const received = finals(events);
    assert.ok(received.length >= KILL_AFTER, `only ${received.length} segments arrived before the audio ran out`);
    assert.ok(existsSync(join(started.path, 'audio.wav')), 'the audio was being recorded for the final pass');
    // As if the daemon had died inside the final pass, after its transcript took the live one's place but before meeting.json said so.
    copyFileSync(join(started.path, 'transcript.jsonl'), join(started.path, 'transcript.live.jsonl'));
    writeFileSync(
      join(started.path, 'transcript.jsonl'),
      JSON.stringify({ index: 0, text: 'a final pass cut off', start_ms: 0, end_ms: 1000, role: 'unknown', at: new Date().toISOString() }) + '\n',
    );

    const second = await startDaemon({ stateRoot: first.stateRoot });
    try {
      const reader = await second.connect();
      const record = await reader.call('meeting.get', { meeting_id: started.id });
      assert.equal(record.status, 'interrupted');
      assert.equal(record.stop_reason, 'daemon_restart');
      // Issue 22: the live transcript is the meeting's, and the audio kept for a final pass that never ran is gone.
      assert.equal(record.transcript_kind, 'live');
      assert.equal(existsSync(join(started.path, 'audio.wav')), false, 'the recording is removed without persist_audio');
      assert.equal(existsSync(join(started.path, 'transcript.live.jsonl')), false, 'the live transcript is back in transcript.jsonl');
      for (const segment of received) {
        assert.ok(
          record.transcript.some((line) => line.index === segment.segment_index && line.text === segment.text),
          `segment ${segment.segment_index} was received but is not on disk`,
        );
      }
      assert.equal(record.segment_count, record.transcript.length);
      // Live lines go into memory as they are saved, so a meeting whose final pass never ran is still in it (a line repeating
      // an earlier one is the earlier fact: memory keeps one fact per subject and body).
      const facts = (await (await second.connect({ memoryNamespace: 'meetings' })).call('memory.list', { limit: 1000 })).facts.filter((fact) =>
        fact.id.startsWith(`mtg-${started.id}-`),
      );
      for (const segment of received.filter((line) => /\S/.test(line.text))) {
        assert.ok(
          facts.some((fact) => fact.body === segment.text),
          `segment ${segment.segment_index} is not in memory`,
        );
      }
      assert.ok(
        facts.some((fact) => fact.id === `mtg-${started.id}-${received[0]!.segment_index}`),
        'facts are named after the meeting and the line',
      );
      assert.equal(record.ended_at, record.transcript.at(-1)!.at, 'ended when its last segment was saved');
      assert.ok(existsSync(join(started.path, 'transcript.md')));
      const listed = (await reader.call('meeting.list', {})).meetings.find((meeting) => meeting.id === started.id);
      assert.equal(listed?.status, 'interrupted');
      // Repaired at start, before anyone asked.
      const repairs = journalEvents((await reader.call('daemon.status', {})).journal_file, 'meeting_stopped');
      assert.deepEqual(
        repairs.map((event) => event.data),
        [{ meeting_id: started.id, status: 'interrupted', stop_reason: 'daemon_restart', segments: record.transcript.length, summarized: false }],
      );
      reader.close();
    } finally {
      await second.stop();
    }
  });

  it('SIGTERM stops the daemon gracefully and finalises the meeting with daemon_shutdown', async () => {
    const daemon = await startDaemon();
    const client = await daemon.connect();
    const started = await client.call('meeting.start', { id: 'sigterm' });
    const events = meetingEvents(client, started.id);
    await pushAll(client, started.voice_session_id!, meetingPcm(), 32000);
    await waitFor(() => finals(events).length >= 1, 'a segment');
    assert.equal(await daemon.stop(), 0);
    const metadata = JSON.parse(readFileSync(join(started.path, 'meeting.json'), 'utf8')) as MeetingMetadata;
    assert.equal(metadata.status, 'stopped');
    assert.equal(metadata.stop_reason, 'daemon_shutdown');
    assert.ok(metadata.segment_count >= finals(events).length);
  });
});
