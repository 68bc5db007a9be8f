import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Connection } from '../../../src/client/connection.js';
import { ErrorCode } from '../../../src/protocol/errors.js';
import type { MeetingMetadata } from '../../../src/protocol/meeting.js';
import { ServerState } from '../../../src/daemon/state/server-state.js';
import { openInMemory } from '../../helpers/in-memory-channel.js';
import { tempStateRoot } from '../../helpers/paths.js';
import { rejectsWith } from '../../helpers/rpc.js';
import { pushedSeconds, scriptedEngine, type ScriptedEngine } from '../../helpers/scripted-engine.js';
import { waitFor } from '../../helpers/wait.js';

/** A daemon's state on a fresh state root whose only speech engine is the scripted one, without sockets. */
function scriptedState(engine: ScriptedEngine, stateRoot = tempStateRoot('car-registry-')): ServerState {
  return ServerState.withConfig({ journalDir: join(stateRoot, 'journals'), stateRoot, voice: { engines: [engine] } });
}

/** Starts a pushed meeting and pushes `seconds` of audio: the scripted engine hears `second 1` … `second <seconds>`. */
async function recordPushed(client: Connection, seconds: number, params: { id?: string; title?: string } = {}) {
  const started = await client.call('meeting.start', { summarize_on_end: false, ...params });
  await client.call('voice.transcribe_stream.push', { session_id: started.voice_session_id!, pcm_b64: pushedSeconds(seconds) });
  // Lines are saved (memory, then the synced transcript) after the engine has heard them.
  await waitFor(async () => (await client.call('meeting.get', { meeting_id: started.id })).transcript.length === seconds, `${seconds} lines saved`);
  return started;
}

const storedMetadata = (path: string) => JSON.parse(readFileSync(join(path, 'meeting.json'), 'utf8')) as MeetingMetadata;

/**
 * The meetings registry (live control) and its archive (what is on disk), driven through the
 * in-memory channel with a scripted speech engine: ids, who may stop, what waits for what,
 * teardown and repair. The real engine's meetings are tested in record.test.ts and capture.test.ts.
 */
describe('meetings registry and archive, in memory', () => {
  const engine = scriptedEngine();
  let state: ServerState;
  let owner: Connection;
  let host: Connection;

  before(async () => {
    state = scriptedState(engine);
    await state.start();
    // A namespace puts the meetings' facts in the state root's memory, where meeting.delete finds them.
    ({ client: owner } = await openInMemory(state, { memoryNamespace: 'registry-test' }));
    ({ client: host } = await openInMemory(state, { asHost: true }));
  });
  after(async () => {
    owner.close();
    host.close();
    await state.close('test_done');
  });

  it('records pushed audio and stops with the final pass over its own recording', async () => {
    const passes = engine.recordingsOpened;
    const started = await recordPushed(owner, 3, { title: 'standup' });
    assert.equal(started.status, 'recording');
    assert.match(started.id, /^mtg-\d{8}-[0-9a-f]{6}$/);
    const live = await owner.call('meeting.get', { meeting_id: started.id });
    assert.deepEqual(
      live.transcript.map((line) => line.text),
      ['second 1', 'second 2', 'second 3'],
    );
    assert.equal(live.transcript_kind, 'live');

    const stopped = await owner.call('meeting.stop', { meeting_id: started.id });
    assert.equal(engine.recordingsOpened, passes + 1, 'one final pass over the one stream');
    assert.equal(stopped.status, 'stopped');
    assert.equal(stopped.stop_reason, 'requested');
    assert.equal(stopped.transcript_kind, 'final');
    assert.deepEqual(
      stopped.transcript.map(({ text, start_ms, role }) => [text, start_ms, role]),
      [
        ['second 1', 0, 'unknown'],
        ['second 2', 1000, 'unknown'],
        ['second 3', 2000, 'unknown'],
      ],
    );
    assert.equal(storedMetadata(started.path).segment_count, 3);
    const { meetings } = await owner.call('meeting.list', {});
    assert.equal(meetings.find((meeting) => meeting.id === started.id)?.status, 'stopped');
  });

  it('never gives one id to two meetings: live, stopped or still starting', async () => {
    const first = await recordPushed(owner, 1, { id: 'mtg-twice' });
    await rejectsWith(owner.call('meeting.start', { id: 'mtg-twice' }), ErrorCode.Conflict, /meeting 'mtg-twice' is already recording; choose another id/);
    await owner.call('meeting.stop', { meeting_id: first.id });
    await rejectsWith(owner.call('meeting.start', { id: 'mtg-twice' }), ErrorCode.Conflict, /meeting 'mtg-twice' already exists in .*; choose another id/);
    // Two starts in the same tick: one takes the id, the other is refused before any file is touched.
    const outcomes = await Promise.allSettled([owner.call('meeting.start', { id: 'mtg-race' }), owner.call('meeting.start', { id: 'mtg-race' })]);
    assert.deepEqual(outcomes.map((outcome) => outcome.status).sort(), ['fulfilled', 'rejected']);
    await owner.call('meeting.stop', { meeting_id: 'mtg-race', summarize: false });
  });

  it('lets the owner or the host role stop a meeting, once, and says why otherwise', async () => {
    const { client: stranger } = await openInMemory(state);
    try {
      const started = await recordPushed(owner, 1);
      const refused = await rejectsWith(
        stranger.call('meeting.stop', { meeting_id: started.id }),
        ErrorCode.Forbidden,
        /belongs to another connection; only the connection that started it, or a host-role session \(host_token\), may stop it/,
      );
      assert.equal(refused.code, ErrorCode.Forbidden);
      const [byHost, again] = await Promise.allSettled([
        host.call('meeting.stop', { meeting_id: started.id }),
        owner.call('meeting.stop', { meeting_id: started.id }),
      ]);
      assert.equal(byHost.status, 'fulfilled');
      assert.equal(again.status, 'rejected');
      assert.match((again as PromiseRejectedResult).reason.message, /meeting '.*' is already stopping; read the result with meeting\.get/);
      await rejectsWith(owner.call('meeting.stop', { meeting_id: started.id }), ErrorCode.Conflict, /is already stopped; there is nothing to stop/);
      await rejectsWith(owner.call('meeting.stop', { meeting_id: 'mtg-never' }), ErrorCode.NotFound, /unknown meeting 'mtg-never'; it is not recording/);
    } finally {
      stranger.close();
    }
  });

  it('refuses to delete or summarise a recording meeting, and waits for one that is stopping', async () => {
    const started = await recordPushed(owner, 2);
    await rejectsWith(host.call('meeting.delete', { id: started.id }), ErrorCode.Conflict, /is still recording; stop it first \(car meeting stop/);
    await rejectsWith(owner.call('meeting.summarize', { id: started.id }), ErrorCode.Conflict, /is still recording; stop it first/);
    await rejectsWith(owner.call('meeting.delete', { id: started.id }), ErrorCode.Forbidden, /needs a host-role session/);

    engine.holdRecordings();
    const passes = engine.recordingsOpened;
    const stopping = owner.call('meeting.stop', { meeting_id: started.id });
    await waitFor(() => engine.recordingsOpened > passes, 'the final pass to start');
    let deleted = false;
    const deleting = host.call('meeting.delete', { id: started.id }).then((result) => ((deleted = true), result));
    // The final pass is held: the delete has nothing to delete yet, and must neither fail nor run under it.
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.equal(deleted, false, 'the delete waited for the stopping meeting');
    engine.releaseRecordings();
    const stopped = await stopping;
    assert.equal(stopped.segment_count, 2);
    const result = await deleting;
    assert.deepEqual(result, { id: started.id, deleted: true, facts_deleted: 2 });
    await rejectsWith(owner.call('meeting.get', { meeting_id: started.id }), ErrorCode.NotFound, /unknown meeting/);
  });

  it('summarises a stopped meeting on request, keeping the summary it replaces', async () => {
    const started = await recordPushed(owner, 2);
    await owner.call('meeting.stop', { meeting_id: started.id });
    const first = await owner.call('meeting.summarize', { id: started.id });
    assert.equal(first.summary_kind, 'extractive', 'no model in this state root');
    assert.equal(first.previous_path, null);
    const second = await owner.call('meeting.summarize', { id: started.id });
    assert.equal(second.previous_path, join(started.path, 'summary.1.md'));
    assert.match(readFileSync(second.path!, 'utf8'), new RegExp(`^# Summary: ${started.id}$`, 'm'));
    assert.equal(readFileSync(second.previous_path!, 'utf8'), readFileSync(second.path!, 'utf8'), 'the same transcript, template and language');
  });

  it("stops a connection's meetings without a summary when it goes, and no one else's", async () => {
    const { client: leaving } = await openInMemory(state);
    const gone = await recordPushed(leaving, 2);
    const stays = await recordPushed(owner, 1);
    leaving.close();
    const metadata = await waitFor(async () => {
      const record = await owner.call('meeting.get', { meeting_id: gone.id });
      return record.status === 'stopped' && record;
    }, 'the meeting of the closed connection to stop');
    assert.equal(metadata.stop_reason, 'owner_disconnected');
    assert.equal(metadata.summary, null);
    assert.equal(metadata.segment_count, 2);
    assert.equal((await owner.call('meeting.get', { meeting_id: stays.id })).status, 'recording');
    await owner.call('meeting.stop', { meeting_id: stays.id });
  });
});

describe('meetings across daemon runs, in memory', () => {
  it('finalises every live meeting when the daemon closes, with what was heard', async () => {
    const engine = scriptedEngine();
    const state = scriptedState(engine);
    const { client } = await openInMemory(state);
    const started = await recordPushed(client, 2);
    await state.close('test_done');
    const metadata = storedMetadata(started.path);
    assert.equal(metadata.status, 'stopped');
    assert.equal(metadata.stop_reason, 'daemon_shutdown');
    assert.equal(metadata.segment_count, 2);
  });

  it('repairs at start a meeting a killed daemon left recording: interrupted, with its live transcript', async () => {
    const stateRoot = tempStateRoot('car-registry-repair-');
    const dir = join(stateRoot, 'meetings', 'mtg-killed');
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const startedAt = '2026-12-01T10:00:00.000Z';
    const cutOffAt = '2026-12-01T10:00:05.000Z';
    const metadata = {
      id: 'mtg-killed',
      title: null,
      status: 'recording',
      started_at: startedAt,
      ended_at: null,
      duration_ms: null,
      stop_reason: null,
      segment_count: 0,
      language: 'en',
      audio_source_kind: 'pcm_push',
      persist_audio: false,
      sources: [],
      transcript_kind: 'live',
      summary: null,
      summary_error: null,
      summary_kind: null,
      summary_reason: null,
      path: dir,
    };
    writeFileSync(join(dir, 'meeting.json'), JSON.stringify(metadata));
    const line = { index: 0, text: 'cut off here', start_ms: 0, end_ms: 1000, role: 'unknown', at: cutOffAt };
    writeFileSync(join(dir, 'transcript.jsonl'), JSON.stringify(line) + '\n');

    const state = scriptedState(scriptedEngine(), stateRoot);
    try {
      await state.start();
      const repaired = storedMetadata(dir);
      assert.equal(repaired.status, 'interrupted');
      assert.equal(repaired.stop_reason, 'daemon_restart');
      assert.equal(repaired.ended_at, cutOffAt, 'ends with the last line heard');
      assert.equal(repaired.duration_ms, 5000);
      assert.equal(repaired.segment_count, 1);
      assert.match(readFileSync(join(dir, 'transcript.md'), 'utf8'), /cut off here/);
      const { client } = await openInMemory(state);
      await rejectsWith(client.call('meeting.stop', { meeting_id: 'mtg-killed' }), ErrorCode.Conflict, /meeting 'mtg-killed' is already interrupted/);
      client.close();
    } finally {
      await state.close('test_done');
    }
  });
});
