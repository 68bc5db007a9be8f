import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { CarClient } from '../../../src/client/node.js';
import { ErrorCode } from '../../../src/protocol/errors.js';
import { transcriptStamp, type MeetingMetadata } from '../../../src/protocol/meeting.js';
import type { InProcessDaemon } from '../../helpers/in-process.js';
import { startInference } from '../inference/support.js';
import { engineMissing } from '../voice/recordings.js';
import { pushAll } from '../voice/support.js';
import { finals, meetingEvents, meetingPcm, modeOf, noModels, stateRootWithStories } from './support.js';
import { journalEvents, readJsonLines } from '../../helpers/journal.js';
import { rejectsWith } from '../../helpers/rpc.js';
import { CHATML_TEMPLATE, withStringKey } from '../../helpers/gguf.js';
import { SHARED_MODELS, tempStateRoot } from '../../helpers/paths.js';

/** Meetings with pushed audio: the sink chain (docs/protocol.md#meeting-lifecycle), the files (docs/protocol.md#meetings) and the summary (docs/protocol.md#meeting-summarize), on real recordings and the real tiny model. */
describe('meetings from pushed audio', { skip: engineMissing }, () => {
  let daemon: InProcessDaemon;
  let client: CarClient;

  before(async () => {
    daemon = await startInference({ stateRoot: stateRootWithStories() });
    client = await daemon.connect({ memoryNamespace: 'meetings' });
  });
  after(() => daemon.close());

  it('records, persists, feeds memory and summarises a meeting', async () => {
    const started = await client.call('meeting.start', { title: 'standup' });
    assert.match(started.id, /^mtg-\d{8}-[0-9a-f]{6}$/);
    assert.equal(started.title, 'standup');
    assert.equal(started.status, 'recording');
    assert.equal(started.path, join(daemon.stateRoot, 'meetings', started.id));
    assert.match(started.voice_session_id!, /^[0-9a-f]{32}$/);

    const events = meetingEvents(client, started.id);
    // Every final must be on disk by the time the client hears of it.
    const onDiskWhenForwarded: boolean[] = [];
    client.on('voice.event', ({ event }) => {
      if (event.type !== 'transcript') return;
      const lines = readJsonLines(join(started.path, 'transcript.jsonl'));
      onDiskWhenForwarded.push(lines.some((line) => line.index === event.segment_index && line.text === event.text));
    });
    const { sessions } = await client.call('sessions.list', {});
    assert.deepEqual(sessions.find((session) => session.is_self)?.meetings, [started.id]);

    await pushAll(client, started.voice_session_id!, meetingPcm(), 32000);
    const stopped = await client.call('meeting.stop', { meeting_id: started.id });

    const received = finals(events);
    assert.ok(received.length >= 3, `expected a segment per recording, got ${received.length}`);
    assert.ok(
      events.every((params) => params.session_id === started.voice_session_id && params.meeting_id === started.id),
      'every event names the meeting and its voice session',
    );
    assert.deepEqual(
      onDiskWhenForwarded,
      received.map(() => true),
    );
    assert.match(received[0]!.text, /go forward ten meters/);

    assert.equal(stopped.status, 'stopped');
    assert.equal(stopped.stop_reason, 'requested');
    // Issue 22: the final pass over the recorded audio replaced the live transcript, which is kept beside it.
    assert.equal(stopped.transcript_kind, 'final');
    assert.equal(stopped.segment_count, stopped.transcript.length);
    assert.match(stopped.transcript[0]!.text, /go forward ten meters/);
    assert.deepEqual(
      readJsonLines(join(started.path, 'transcript.live.jsonl')).map(({ index, text, start_ms, end_ms, role }) => ({ index, text, start_ms, end_ms, role })),
      received.map(({ segment_index, text, start_ms, end_ms, role }) => ({ index: segment_index, text, start_ms, end_ms, role })),
    );
    assert.equal(typeof stopped.summary, 'string');
    assert.ok(stopped.summary!.length > 0, 'a summary was written');
    assert.equal(stopped.summary_error, null);
    assert.ok(Date.parse(stopped.ended_at!) >= Date.parse(stopped.started_at));

    // Files and modes (docs/protocol.md#meetings).
    assert.equal(modeOf(started.path), 0o700);
    for (const file of ['meeting.json', 'transcript.jsonl', 'transcript.live.jsonl', 'transcript.md', 'summary.md'])
      assert.equal(modeOf(join(started.path, file)), 0o600, file);
    assert.equal(existsSync(join(started.path, 'audio.wav')), false, 'the audio of the final pass is removed without persist_audio');
    const { transcript, ...metadata } = stopped;
    assert.deepEqual(JSON.parse(readFileSync(join(started.path, 'meeting.json'), 'utf8')), metadata);
    assert.deepEqual(readJsonLines(join(started.path, 'transcript.jsonl')), transcript);
    const markdown = readFileSync(join(started.path, 'transcript.md'), 'utf8');
    for (const segment of transcript) assert.ok(markdown.includes(`[${transcriptStamp(segment.start_ms)}] ${segment.text}`), segment.text);
    assert.ok(readFileSync(join(started.path, 'summary.md'), 'utf8').includes(stopped.summary!));

    assert.deepEqual(await client.call('meeting.get', { meeting_id: started.id }), stopped);
    const { sessions: after } = await client.call('sessions.list', {});
    assert.deepEqual(after.find((session) => session.is_self)?.meetings, []);

    // The segments are conversation facts in the owner's graph (docs/protocol.md#meeting-lifecycle), found from another connection to the namespace.
    const reader = await daemon.connect({ memoryNamespace: 'meetings' });
    const hits = await reader.call('memory.query', { query: 'forward meters', k: 5 });
    // From the final transcript, the one the meeting keeps.
    const hit = hits.find((fact) => fact.id === `mtg-${started.id}-${stopped.transcript[0]!.index}`);
    assert.ok(hit, JSON.stringify(hits));
    assert.equal(hit.subject, `meeting ${started.id}: standup`);
    assert.equal(hit.body, stopped.transcript[0]!.text);
    assert.equal(hit.kind, 'conversation');
    assert.equal(hit.confidence, 0.8);
    reader.close();

    // The journal has the meeting's metadata and none of its words.
    const [startedEvent] = journalEvents(daemon.state.journal, 'meeting_started').filter((event) => event.data.meeting_id === started.id);
    assert.deepEqual(startedEvent?.data, { meeting_id: started.id, title: 'standup', path: started.path });
    const [stoppedEvent] = journalEvents(daemon.state.journal, 'meeting_stopped').filter((event) => event.data.meeting_id === started.id);
    assert.deepEqual(stoppedEvent?.data, {
      meeting_id: started.id,
      status: 'stopped',
      stop_reason: 'requested',
      segments: stopped.transcript.length,
      summarized: true,
    });
    const journal = readFileSync(daemon.state.journal.file, 'utf8');
    assert.ok(!journal.includes('forward ten') && !journal.includes(stopped.summary!.slice(0, 20)), 'no transcript or summary text in the journal');
  });

  it('stops with summarize: false without a summary, and an empty meeting says its transcript is empty', async () => {
    const quiet = await client.call('meeting.start', { id: 'quiet' });
    const stopped = await client.call('meeting.stop', { meeting_id: quiet.id });
    assert.equal(stopped.segment_count, 0);
    assert.equal(stopped.summary, null);
    assert.equal(stopped.summary_error, 'transcript is empty');
    assert.match(readFileSync(join(quiet.path, 'transcript.md'), 'utf8'), /No speech was transcribed/);

    const unsummarised = await client.call('meeting.start', { id: 'no-summary' });
    await pushAll(client, unsummarised.voice_session_id!, meetingPcm(), 32000);
    const result = await client.call('meeting.stop', { meeting_id: unsummarised.id, summarize: false });
    assert.ok(result.segment_count > 0);
    assert.equal(result.summary, null);
    assert.equal(result.summary_error, null);
    assert.equal(existsSync(join(unsummarised.path, 'summary.md')), false);
  });

  it('lists meetings newest first, live ones included', async () => {
    const live = await client.call('meeting.start', { id: 'still-recording', title: 'live' });
    const { meetings } = await client.call('meeting.list', {});
    assert.equal(meetings[0]!.id, live.id);
    assert.equal(meetings[0]!.status, 'recording');
    const times = meetings.map((meeting) => Date.parse((meeting as MeetingMetadata).started_at));
    assert.deepEqual(
      times,
      [...times].sort((a, b) => b - a),
    );
    assert.ok(meetings.some((meeting) => meeting.id === 'quiet' && meeting.status === 'stopped'));
    const record = await client.call('meeting.get', { meeting_id: live.id });
    assert.equal(record.status, 'recording');
    assert.deepEqual(record.transcript, []);
    await client.call('meeting.stop', { meeting_id: live.id, summarize: false });
  });

  it("refuses to stop a meeting's voice session over voice.*", async () => {
    const started = await client.call('meeting.start', {});
    await rejectsWith(
      client.call('voice.transcribe_stream.stop', { session_id: started.voice_session_id! }),
      ErrorCode.InvalidParams,
      new RegExp(`belongs to meeting '${started.id}'; stop it with meeting.stop`),
    );
    await client.call('meeting.stop', { meeting_id: started.id, summarize: false });
  });
});

describe('model summaries of long meetings', { skip: engineMissing }, () => {
  it('summarises a long transcript in chunks that each fit a 128-token chat model, with progress', async () => {
    const modelsDir = join(tempStateRoot('car-chat-models-'), 'models');
    mkdirSync(modelsDir);
    withStringKey(join(SHARED_MODELS, 'llama-2-tiny-random.gguf'), join(modelsDir, 'small-chat.gguf'), 'tokenizer.chat_template', CHATML_TEMPLATE, {
      'llama.context_length': 128,
    });
    const daemon = await startInference({ modelsDir });
    try {
      const client = await daemon.connect();
      const started = await client.call('meeting.start', { id: 'long-meeting' });
      const events = meetingEvents(client, started.id);
      const progress: { done: number; total: number }[] = [];
      client.on('meeting.summary.progress', ({ done, total }) => progress.push({ done, total }));
      await pushAll(client, started.voice_session_id!, meetingPcm(4), 32000);
      const stopped = await client.call('meeting.stop', { meeting_id: started.id });
      assert.ok(finals(events).length >= 10);
      const transcriptBytes = Buffer.byteLength(stopped.transcript.map((line) => line.text).join('\n'));
      assert.ok(transcriptBytes > 128, `the transcript (${transcriptBytes} bytes) must not fit one call`);
      assert.ok(stopped.summary && stopped.summary.length > 0);

      const summaryCalls = journalEvents(daemon.state.journal, 'inference_completed').filter((event) => event.data.method === 'generate');
      assert.ok(summaryCalls.length > 2, 'chunks and merges');
      for (const call of summaryCalls) {
        const used = (call.data.input_tokens as number) + (call.data.output_tokens as number);
        assert.ok(used <= 128, `a summary call used ${used} tokens of a 128-token context`);
      }
      assert.deepEqual(
        progress.map((event) => event.done),
        summaryCalls.map((_, i) => i + 1),
      );
      assert.ok(progress.every((event) => event.done <= event.total));
      client.close();
    } finally {
      await daemon.close();
    }
  });
});

describe('meetings without a model', { skip: engineMissing }, () => {
  it('stop still succeeds with an extractive summary saying there is no model', async () => {
    const models = noModels();
    const daemon = await startInference({ modelsDir: models });
    try {
      const client = await daemon.connect();
      const started = await client.call('meeting.start', { id: 'modelless' });
      await pushAll(client, started.voice_session_id!, meetingPcm(), 32000);
      const stopped = await client.call('meeting.stop', { meeting_id: started.id });
      assert.equal(stopped.status, 'stopped');
      assert.ok(stopped.segment_count >= 3);
      assert.deepEqual([stopped.summary_kind, stopped.summary_reason, stopped.summary_error], ['extractive', 'there is no model', null]);
      assert.match(stopped.summary!, /^## Key points\n\n- \[00:00\] go forward ten meters/);
      assert.ok(existsSync(join(started.path, 'summary.md')));
      assert.equal(readJsonLines(join(started.path, 'transcript.jsonl')).length, stopped.segment_count);
      assert.equal(JSON.parse(readFileSync(join(started.path, 'meeting.json'), 'utf8')).summary_kind, 'extractive');
    } finally {
      await daemon.close();
    }
  });
});
