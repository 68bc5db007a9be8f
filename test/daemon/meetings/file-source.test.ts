import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { WavDecoder } from '../../../src/audio/wav.js';
import type { CarClient } from '../../../src/client/node.js';
import type { MeetingRecord } from '../../../src/protocol/meeting.js';
import type { InProcessDaemon } from '../../helpers/in-process.js';
import { startInference } from '../inference/support.js';
import { engineMissing } from '../voice/recordings.js';
import { finals, meetingEvents, meetingPcm, meetingWav, modeOf, stateRootWithStories } from './support.js';
import { waitFor } from '../../helpers/wait.js';
import { rejectsWith } from '../../helpers/rpc.js';
import { ErrorCode } from '../../../src/protocol/errors.js';

/** `file` sources (docs/protocol.md#meeting-start): the daemon reads a WAV as fast as the engine decodes it and stops at its end. */
describe('meetings from a WAV file', { skip: engineMissing }, () => {
  let daemon: InProcessDaemon;
  let client: CarClient;

  before(async () => {
    daemon = await startInference({ stateRoot: stateRootWithStories() });
    client = await daemon.connect({ memoryNamespace: 'meetings' });
  });
  after(() => daemon.close());

  /** Resolves once the meeting is stopped and its summary (or summary error) is recorded. */
  async function settled(id: string, summarized = true): Promise<MeetingRecord> {
    let record: MeetingRecord | undefined;
    await waitFor(
      async () => {
        record = await client.call('meeting.get', { meeting_id: id });
        return record.status !== 'recording' && (!summarized || record.summary !== null || record.summary_error !== null);
      },
      `meeting ${id} to finish`,
      60_000,
    );
    return record!;
  }

  it('transcribes the file, stops at its end and summarises', async () => {
    const started = await client.call('meeting.start', { id: 'from-file', title: 'recorded', audio_source: { kind: 'file', path: meetingWav() } });
    assert.equal(started.voice_session_id, null);
    const events = meetingEvents(client, started.id);
    const record = await settled(started.id);
    assert.equal(record.status, 'stopped');
    assert.equal(record.stop_reason, 'end_of_file');
    assert.equal(record.audio_source_kind, 'file');
    assert.equal(record.duration_ms, Math.round((meetingPcm().length / 32000) * 1000), "the audio's length, not the time it took to decode");
    assert.ok(record.segment_count >= 3);
    assert.equal(record.transcript_kind, 'final');
    assert.match(record.transcript[0]!.text, /go forward ten meters/);
    assert.ok(record.summary && record.summary.length > 0, record.summary_error ?? '');
    assert.ok(existsSync(join(started.path, 'summary.md')));
    // The owner heard every final, none of the partials (they would be stale at once).
    assert.deepEqual(
      finals(events).map((event) => event.text),
      record.transcript.map((line) => line.text),
    );
    assert.ok(events.every((params) => params.event.type !== 'partial'));
    const hits = await client.call('memory.query', { query: 'forward meters' });
    assert.ok(hits.some((hit) => hit.id === `mtg-${started.id}-${record.transcript[0]!.index}`));
  });

  it('keeps the audio as 16 kHz mono with persist_audio, and skips the summary with summarize_on_end: false', async () => {
    const started = await client.call('meeting.start', {
      id: 'with-audio',
      audio_source: { kind: 'file', path: meetingWav() },
      persist_audio: true,
      summarize_on_end: false,
    });
    const record = await settled(started.id, false);
    assert.equal(record.stop_reason, 'end_of_file');
    assert.equal(record.persist_audio, true);
    assert.equal(record.summary, null);
    assert.equal(record.summary_error, null);
    assert.equal(existsSync(join(started.path, 'summary.md')), false);
    const audioFile = join(started.path, 'audio.wav');
    assert.equal(modeOf(audioFile), 0o600);
    const decoder = new WavDecoder();
    const pcm = decoder.push(readFileSync(audioFile));
    decoder.end();
    assert.deepEqual(
      { rate: decoder.format!.sampleRate, channels: decoder.format!.channels, bytes: decoder.format!.dataBytes },
      { rate: 16000, channels: 1, bytes: pcm.length },
    );
    assert.ok(pcm.equals(meetingPcm()), 'the recording is the audio that was transcribed');
  });

  it('stops on request before the end of the file', async () => {
    const started = await client.call('meeting.start', { id: 'cut-short', audio_source: { kind: 'file', path: meetingWav(6) } });
    const events = meetingEvents(client, started.id);
    // Stopped once speech was heard, wherever the windows are.
    await waitFor(() => events.some((params) => params.event.type === 'speech_start'), 'the first speech');
    const internal = events[0]!.session_id;
    await rejectsWith(
      client.call('voice.transcribe_stream.push', { session_id: internal, pcm_b64: meetingPcm().subarray(0, 3200).toString('base64') }),
      ErrorCode.Forbidden,
      /is fed by meeting 'cut-short' itself; it takes no pushed audio/,
    );
    const stopped = await client.call('meeting.stop', { meeting_id: started.id, summarize: false });
    assert.equal(stopped.stop_reason, 'requested');
    assert.ok(stopped.segment_count >= 1, 'the window open at the stop is decoded');
    assert.ok(stopped.duration_ms! < Math.round((meetingPcm(6).length / 32000) * 1000), `stopped after ${stopped.duration_ms} ms of the file`);
    assert.deepEqual((await client.call('meeting.get', { meeting_id: started.id })).transcript, stopped.transcript);
  });
});
