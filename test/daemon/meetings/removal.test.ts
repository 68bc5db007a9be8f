import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { MeetingFiles, recordingMetadata } from '../../../src/daemon/meetings/store.js';
import { ErrorCode } from '../../../src/protocol/errors.js';
import { inMemoryFixture, openInMemory } from '../../helpers/in-memory-channel.js';
import { rejectsWith } from '../../helpers/rpc.js';
import { startInference } from '../inference/support.js';
import { engineMissing } from '../voice/recordings.js';
import { meetingWav } from './support.js';

/** A stopped meeting written straight to disk, as a daemon leaves one: meeting.json and `segments` transcript lines. */
async function storedMeeting(meetingsRoot: string, id: string, segments = 3): Promise<string> {
  const files = await MeetingFiles.create(meetingsRoot, id);
  const metadata = recordingMetadata(files, { title: id, language: 'en', audio_source_kind: 'pcm_push', persist_audio: false, memory_namespace: null });
  await files.writeMetadata({
    ...metadata,
    status: 'stopped',
    stop_reason: 'requested',
    ended_at: metadata.started_at,
    duration_ms: segments * 1000,
    segment_count: segments,
  });
  const lines = Array.from({ length: segments }, (_, index) =>
    JSON.stringify({
      index,
      text: `we decided item ${index} ships on Friday`,
      start_ms: index * 1000,
      end_ms: index * 1000 + 900,
      role: 'unknown',
      at: metadata.started_at,
    }),
  );
  writeFileSync(files.transcriptFile, lines.join('\n') + '\n');
  return files.dir;
}

/** Issue 26, defects 5 and 6: `meeting.delete` removes meetings and nothing else, and never races a summary. */
describe('meeting.delete on disk', () => {
  const fixture = inMemoryFixture((root) => ({ stateRoot: root }));

  it("refuses the state root's own folders and directories without a valid meeting.json, deleting nothing", async () => {
    const stateRoot = fixture.state.stateRoot!;
    const { client: host } = await openInMemory(fixture.state, { asHost: true });
    for (const folder of ['run', 'memory', 'db', 'logs']) {
      mkdirSync(join(stateRoot, folder), { recursive: true });
      writeFileSync(join(stateRoot, folder, 'keep'), 'x');
    }
    await storedMeeting(join(stateRoot, 'meetings'), 'kept');
    for (const id of ['run', 'memory', 'db', 'logs', 'meetings']) {
      await rejectsWith(
        host.call('meeting.delete', { id, root: stateRoot }),
        ErrorCode.Conflict,
        /state root's own folders, not a meeting; nothing was changed/,
      );
    }
    // A planted meeting.json does not make the daemon's own folder a meeting.
    writeFileSync(join(stateRoot, 'run', 'meeting.json'), JSON.stringify({ id: 'run' }));
    await rejectsWith(host.call('meeting.delete', { id: 'run', root: stateRoot }), ErrorCode.Conflict, /not a meeting/);
    mkdirSync(join(stateRoot, 'meetings', 'no-metadata'));
    writeFileSync(join(stateRoot, 'meetings', 'no-metadata', 'notes.txt'), 'mine');
    await rejectsWith(
      host.call('meeting.delete', { id: 'no-metadata' }),
      ErrorCode.Conflict,
      /cannot be deleted: meeting\.json is missing; only a directory with a valid meeting\.json is a meeting/,
    );
    for (const folder of ['run', 'memory', 'db', 'logs']) assert.ok(existsSync(join(stateRoot, folder, 'keep')), `${folder}/ is intact`);
    assert.ok(existsSync(join(stateRoot, 'meetings', 'kept', 'transcript.jsonl')));
    assert.ok(existsSync(join(stateRoot, 'meetings', 'no-metadata', 'notes.txt')));
    host.close();
  });

  it('runs a delete and a summarize of one meeting one after the other, whichever comes first, losing nothing half-way', async () => {
    const meetingsRoot = join(fixture.state.stateRoot!, 'meetings');
    const { client: host } = await openInMemory(fixture.state, { asHost: true });
    for (let round = 0; round < 12; round++) {
      const id = `race-${round}`;
      const dir = await storedMeeting(meetingsRoot, id, 40);
      const deleteFirst = round % 2 === 0;
      // The same tick, in both orders.
      const [first, second] = await Promise.allSettled(
        deleteFirst
          ? [host.call('meeting.delete', { id }), host.call('meeting.summarize', { id })]
          : [host.call('meeting.summarize', { id }), host.call('meeting.delete', { id })],
      );
      const [deleted, summarized] = deleteFirst ? [first, second] : [second, first];
      assert.equal(deleted.status, 'fulfilled', `round ${round}: ${deleted.status === 'rejected' ? (deleted.reason as Error).message : ''}`);
      if (deleteFirst) {
        assert.equal(summarized.status, 'rejected');
        assert.match((summarized as PromiseRejectedResult).reason.message, new RegExp(`unknown meeting '${id}'`));
      } else {
        assert.equal(summarized.status, 'fulfilled', `round ${round}: ${summarized.status === 'rejected' ? (summarized.reason as Error).message : ''}`);
      }
      assert.equal(existsSync(dir), false, `round ${round}: the whole directory is gone (left: ${existsSync(dir) ? readdirSync(dir).join(', ') : ''})`);
    }
    host.close();
  });
});

/** Issue 27, item 3: a deleted meeting's transcript leaves memory too. */
describe('meeting.delete and memory', { skip: engineMissing }, () => {
  it("deletes the facts the meeting's transcript fed into its namespace, and no other fact", async () => {
    const daemon = await startInference();
    try {
      const recorder = await daemon.connect({ memoryNamespace: 'meetings' });
      const kept = await recorder.call('memory.add_fact', { subject: 'deploys', body: 'go forward with the deploy on Friday' });
      const started = await recorder.call('meeting.start', { id: 'forgotten', audio_source: { kind: 'file', path: meetingWav() }, summarize_on_end: false });
      const stopped = await waitForStop(recorder, started.id);
      const hits = await recorder.call('memory.query', { query: 'forward meters', k: 20 });
      const meetingFacts = hits.filter((hit) => hit.id.startsWith('mtg-forgotten-'));
      assert.ok(meetingFacts.length >= 1, JSON.stringify(hits));
      assert.ok(
        meetingFacts.every((hit) => hit.subject === 'meeting forgotten: forgotten'),
        'each fact names its meeting',
      );

      const host = await daemon.connect({ asHost: true });
      const result = await host.call('meeting.delete', { id: started.id });
      assert.deepEqual(result, { id: 'forgotten', deleted: true, facts_deleted: stopped });
      const after = await recorder.call('memory.query', { query: 'forward meters', k: 20 });
      assert.deepEqual(
        after.filter((hit) => hit.id.startsWith('mtg-')),
        [],
        JSON.stringify(after),
      );
      assert.ok(
        after.some((hit) => hit.id === kept.id),
        'a fact of its own stays',
      );
      recorder.close();
      host.close();
    } finally {
      await daemon.close();
    }
  });
});

/** The number of non-empty segments (each fed one fact) once the file meeting has stopped. */
async function waitForStop(client: Awaited<ReturnType<Awaited<ReturnType<typeof startInference>>['connect']>>, id: string): Promise<number> {
  for (;;) {
    const record = await client.call('meeting.get', { meeting_id: id });
    if (record.status !== 'recording') return record.transcript.filter((line) => /\S/.test(line.text)).length;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
