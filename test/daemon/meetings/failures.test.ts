import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ErrorCode } from '../../../src/protocol/errors.js';
import type { MeetingMetadata } from '../../../src/protocol/meeting.js';
import { startInProcess } from '../../helpers/in-process.js';
import { tempStateRoot } from '../../helpers/paths.js';
import { startInference } from '../inference/support.js';
import { engineMissing, goForward } from '../voice/recordings.js';
import { corruptSpeechModel, pushAll } from '../voice/support.js';
import { finals, meetingEvents, meetingPcm, meetingWav } from './support.js';
import { readJsonLines } from '../../helpers/journal.js';
import { rejectsWith } from '../../helpers/rpc.js';
import { waitFor } from '../../helpers/wait.js';

const readMetadata = (path: string): MeetingMetadata => JSON.parse(readFileSync(join(path, 'meeting.json'), 'utf8'));

/** How meetings end badly (docs/protocol.md#meeting-lifecycle), every case but the killed daemon (crash.test.ts). */
describe('meeting failure cases', { skip: engineMissing }, () => {
  it('the owner disconnecting stops the meeting without a summary; its transcript and facts stay', async () => {
    const daemon = await startInference();
    try {
      const owner = await daemon.connect({ memoryNamespace: 'meetings' });
      const started = await owner.call('meeting.start', { id: 'abandoned', title: 'left early' });
      const events = meetingEvents(owner, started.id);
      await pushAll(owner, started.voice_session_id!, meetingPcm(), 32000);
      await waitFor(() => finals(events).length >= 2, 'two segments');
      const heard = finals(events).map((event) => event.text);
      await owner.closeAndWait();
      await waitFor(() => readMetadata(started.path).status !== 'recording', 'the meeting to be finalised');

      const reader = await daemon.connect({ memoryNamespace: 'meetings' });
      const record = await reader.call('meeting.get', { meeting_id: started.id });
      assert.equal(record.status, 'stopped');
      assert.equal(record.stop_reason, 'owner_disconnected');
      assert.equal(record.summary, null);
      assert.equal(record.summary_error, null);
      assert.ok(!existsSync(join(started.path, 'summary.md')));
      assert.deepEqual(
        record.transcript.slice(0, heard.length).map((line) => line.text),
        heard,
        'every segment the owner received is kept',
      );

      assert.ok(existsSync(join(started.path, 'transcript.md')));
      const hits = await reader.call('memory.query', { query: 'forward meters' });
      assert.ok(
        hits.some((hit) => hit.subject === `meeting ${started.id}: left early`),
        'the namespace graph outlives the connection',
      );
      await rejectsWith(reader.call('meeting.stop', { meeting_id: started.id }), ErrorCode.Conflict, /already stopped/);
    } finally {
      await daemon.close();
    }
  });

  it('the utterance still open when the owner disconnects is flushed into the transcript (docs/protocol.md#teardown, step 4)', async () => {
    const daemon = await startInference();
    try {
      // "go forward ten meters" cut mid-sentence: the detector has not closed the utterance yet.
      const midUtterance = goForward().subarray(0, Math.floor(goForward().length * 0.6) & ~1);
      const owner = await daemon.connect();
      const started = await owner.call('meeting.start', { id: 'cut-off' });
      await pushAll(owner, started.voice_session_id!, midUtterance, 32000);
      await owner.closeAndWait();
      await waitFor(() => readMetadata(started.path).status !== 'recording', 'the meeting to be finalised');
      const reader = await daemon.connect();
      const record = await reader.call('meeting.get', { meeting_id: started.id });
      assert.equal(record.stop_reason, 'owner_disconnected');
      assert.equal(record.transcript.length, 1, 'the open utterance became a segment');
      assert.match(record.transcript[0]!.text, /\bgo\b/);
    } finally {
      await daemon.close();
    }
  });

  it('the owner of a file meeting disconnecting mid-file stops the reading and finalises the meeting', async () => {
    const daemon = await startInference();
    try {
      const owner = await daemon.connect();
      const started = await owner.call('meeting.start', { id: 'file-abandoned', audio_source: { kind: 'file', path: meetingWav(6) } });
      const events = meetingEvents(owner, started.id);
      await waitFor(() => finals(events).length >= 1, 'a segment');
      await owner.closeAndWait();
      await waitFor(() => readMetadata(started.path).status !== 'recording', 'the meeting to be finalised');
      const metadata = readMetadata(started.path);
      assert.equal(metadata.stop_reason, 'owner_disconnected');
      assert.ok(metadata.segment_count >= 1 && metadata.segment_count < 18, `${metadata.segment_count} segments`);
      // The meeting is final at teardown step 4; the session leaves the map when the last step ends.
      const reader = await daemon.connect();
      await waitFor(async () => (await reader.call('sessions.list', {})).sessions.length === 1, 'the teardown to finish');
    } finally {
      await daemon.close();
    }
  });

  it('a graceful daemon stop finalises live meetings with daemon_shutdown', async () => {
    const daemon = await startInference();
    const client = await daemon.connect();
    const started = await client.call('meeting.start', { id: 'at-shutdown' });
    const events = meetingEvents(client, started.id);
    await pushAll(client, started.voice_session_id!, meetingPcm(), 32000);
    await waitFor(() => finals(events).length >= 1, 'a segment');
    await daemon.close();
    const metadata = readMetadata(started.path);
    assert.equal(metadata.status, 'stopped');
    assert.equal(metadata.stop_reason, 'daemon_shutdown');
    assert.equal(metadata.summary, null);
    assert.ok(metadata.segment_count >= 1);
    assert.equal(readJsonLines(join(started.path, 'transcript.jsonl')).length, metadata.segment_count);
  });

  it('lists a corrupt meeting.json as failed with the reason, and still serves its transcript', async () => {
    const daemon = await startInference();
    try {
      const client = await daemon.connect();
      const broken = await client.call('meeting.start', { id: 'broken' });
      await pushAll(client, broken.voice_session_id!, meetingPcm(), 32000);
      const stopped = await client.call('meeting.stop', { meeting_id: broken.id, summarize: false });
      writeFileSync(join(broken.path, 'meeting.json'), '{"id": "broken", "status": ');
      const invalid = await client.call('meeting.start', { id: 'invalid' });
      await client.call('meeting.stop', { meeting_id: invalid.id, summarize: false });
      writeFileSync(join(invalid.path, 'meeting.json'), JSON.stringify({ ...readMetadata(invalid.path), status: 'exploded' }));
      mkdirSync(join(daemon.stateRoot, 'meetings', 'no-metadata'), { mode: 0o700 });
      const healthy = await client.call('meeting.start', { id: 'healthy' });

      const { meetings } = await client.call('meeting.list', {});
      const byId = new Map(meetings.map((meeting) => [meeting.id, meeting]));
      assert.deepEqual([...byId.keys()].sort(), ['broken', 'healthy', 'invalid', 'no-metadata']);
      assert.equal(byId.get('healthy')!.status, 'recording');
      for (const [id, reason] of [
        ['broken', /^meeting\.json is not valid JSON$/],
        ['invalid', /^meeting\.json is invalid at 'status'/],
        ['no-metadata', /^meeting\.json is missing$/],
      ] as const) {
        const entry = byId.get(id)!;
        assert.equal(entry.status, 'failed', id);
        assert.ok('error' in entry && reason.test(entry.error), JSON.stringify(entry));
      }
      assert.equal(byId.get('broken')!.segment_count, stopped.segment_count);

      const record = await client.call('meeting.get', { meeting_id: 'broken' });
      assert.equal(record.status, 'failed');
      assert.deepEqual(record.transcript, stopped.transcript);
      await client.call('meeting.stop', { meeting_id: healthy.id, summarize: false });
    } finally {
      await daemon.close();
    }
  });

  it('lists a meeting left recording under a custom root as it is: only the lock holder repairs, at start, its default root', async () => {
    const daemon = await startInference();
    try {
      const client = await daemon.connect();
      const root = join(daemon.stateRoot, 'custom', 'meetings');
      const done = await client.call('meeting.start', { id: 'template', root });
      await pushAll(client, done.voice_session_id!, meetingPcm(), 32000);
      await client.call('meeting.stop', { meeting_id: done.id, summarize: false });
      // What another daemon's live meeting (or a killed one) looks like: meeting.json still saying recording.
      for (const id of ['crashed-a', 'crashed-b']) {
        cpSync(done.path, join(root, id), { recursive: true });
        writeFileSync(
          join(root, id, 'meeting.json'),
          JSON.stringify({ ...readMetadata(done.path), id, status: 'recording', stop_reason: null, ended_at: null, duration_ms: null, segment_count: 0 }),
        );
      }
      const listed = (await client.call('meeting.list', { root })).meetings.find((meeting) => meeting.id === 'crashed-a')!;
      const read = await client.call('meeting.get', { meeting_id: 'crashed-b', root });
      for (const entry of [listed, read]) {
        assert.equal(entry.status, 'recording');
        assert.equal(entry.stop_reason, null);
      }
      assert.equal(readMetadata(join(root, 'crashed-a')).status, 'recording', 'listing wrote nothing');
      assert.equal(readMetadata(join(root, 'crashed-b')).status, 'recording', 'reading wrote nothing');
    } finally {
      await daemon.close();
    }
  });

  it('an engine error fails the meeting with a fatal error event and keeps its files', async () => {
    const modelDir = corruptSpeechModel();
    const daemon = await startInProcess({ voice: { modelDir } });
    try {
      const client = await daemon.connect();
      const started = await client.call('meeting.start', { id: 'engine-broke' });
      const events = meetingEvents(client, started.id);
      await waitFor(() => events.length > 0, 'the fatal error event');
      const { event } = events[0]!;
      assert.ok(event.type === 'error' && event.fatal, JSON.stringify(event));
      await waitFor(() => readMetadata(started.path).status !== 'recording', 'the meeting to fail');
      const record = await client.call('meeting.get', { meeting_id: started.id });
      assert.equal(record.status, 'failed');
      assert.equal(record.stop_reason, 'error');
      assert.deepEqual(record.transcript, []);
      assert.ok(existsSync(join(started.path, 'transcript.md')));
      // meeting.json is final a directory fsync before the registry lets the meeting go.
      await waitFor(
        async () => (await client.call('sessions.list', {})).sessions.find((s) => s.is_self)!.meetings.length === 0,
        'the meeting to leave the registry',
      );
      await rejectsWith(client.call('meeting.stop', { meeting_id: started.id }), ErrorCode.Conflict, /already failed/);
    } finally {
      await daemon.close();
    }
  });

  it('a speech engine that cannot start refuses the meeting and leaves no directory', async () => {
    const daemon = await startInProcess({ voice: { modelDir: join(tempStateRoot(), 'no-model-here') } });
    try {
      const client = await daemon.connect();
      await rejectsWith(client.call('meeting.start', { id: 'never' }), ErrorCode.Unavailable, /speech provider 'local' is unavailable/);
      assert.deepEqual(readdirSync(join(daemon.stateRoot, 'meetings')), []);
      await rejectsWith(client.call('meeting.get', { meeting_id: 'never' }), ErrorCode.NotFound, /unknown meeting/);
    } finally {
      await daemon.close();
    }
  });
});
