import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { WavDecoder, wavHeader } from '../../../src/audio/wav.js';
import type { CarClient } from '../../../src/client/node.js';
import { finalPass } from '../../../src/daemon/meetings/final-pass.js';
import type { InProcessDaemon } from '../../helpers/in-process.js';
import { tempStateRoot } from '../../helpers/paths.js';
import { waitFor } from '../../helpers/wait.js';
import { startInference } from '../inference/support.js';
import { TESTDATA, engineMissing, goForward } from '../voice/recordings.js';
import { pushAll } from '../voice/support.js';
import { finals, meetingEvents, meetingPcm, stateRootWithStories } from './support.js';
import { sendAudio } from '../../../src/client/workflows/voice.js';

function wavFile(pcm: Buffer): string {
  const file = join(tempStateRoot('car-final-pass-'), 'source.wav');
  writeFileSync(file, Buffer.concat([wavHeader(16000, 1, pcm.length), pcm]));
  return file;
}

/** Issue 22: a pushed meeting keeps its audio while it records, and its final transcript comes from a pass over all of it. */
describe('meeting final pass', { skip: engineMissing }, () => {
  let daemon: InProcessDaemon;
  let client: CarClient;

  before(async () => {
    daemon = await startInference({ stateRoot: stateRootWithStories() });
    client = await daemon.connect({ memoryNamespace: 'meetings' });
  });
  after(() => daemon.close());

  it('says the transcript is live while recording, keeps the audio with persist_audio, and ends with the final one', async () => {
    const started = await client.call('meeting.start', { id: 'kept-audio', persist_audio: true });
    const pcm = meetingPcm();
    await pushAll(client, started.voice_session_id!, pcm, 32000);
    const recording = await client.call('meeting.get', { meeting_id: started.id });
    assert.equal(recording.transcript_kind, 'live');
    const stopped = await client.call('meeting.stop', { meeting_id: started.id, summarize: false });
    assert.equal(stopped.transcript_kind, 'final');
    assert.ok(stopped.transcript.length > 0);
    assert.deepEqual((await client.call('meeting.get', { meeting_id: started.id })).transcript, stopped.transcript);

    const decoder = new WavDecoder();
    const recorded = decoder.push(readFileSync(join(started.path, 'audio.wav')));
    decoder.end();
    assert.deepEqual({ rate: decoder.format!.sampleRate, channels: decoder.format!.channels }, { rate: 16000, channels: 1 });
    assert.ok(recorded.equals(pcm), 'audio.wav holds exactly the pushed audio');
  });

  it('records each stream of a split meeting under its role and merges their final passes in the order spoken', async () => {
    const left = Buffer.concat([goForward(), Buffer.alloc(5 * 32000)]);
    const right = Buffer.concat([Buffer.alloc(4 * 32000), readFileSync(join(TESTDATA, 'numbers.raw')), Buffer.alloc(32000)]);
    const frames = Math.min(left.length, right.length) / 2;
    const stereo = Buffer.alloc(frames * 4);
    for (let frame = 0; frame < frames; frame++) {
      stereo.writeInt16LE(left.readInt16LE(frame * 2), frame * 4);
      stereo.writeInt16LE(right.readInt16LE(frame * 2), frame * 4 + 2);
    }
    const started = await client.call('meeting.start', {
      id: 'split-final',
      audio_source: { kind: 'pcm_push', sample_rate: 16000, channels: 2, split_channels: true, channel_roles: ['me', 'them'] },
      summarize_on_end: false,
      persist_audio: true,
    });
    const events = meetingEvents(client, started.id);
    const input = {
      sampleRate: 16000,
      channels: 2 as const,
      pcm: (async function* () {
        yield stereo;
      })(),
    };
    await sendAudio(
      client,
      started.sources.map((source) => source.voice_session_id),
      input,
      { signal: new AbortController().signal },
    );
    const meetingFacts = async () => (await client.call('memory.list', { limit: 1000 })).facts.filter((fact) => fact.id.startsWith(`mtg-${started.id}-`));
    // Each live line is a fact before it is saved: searchable while the meeting records.
    const liveLines = await waitFor(async () => {
      const saved = (await client.call('meeting.get', { meeting_id: started.id })).transcript.filter((line) => /\S/.test(line.text));
      return saved.length ? saved : undefined;
    }, 'a live line');
    const liveFacts = await meetingFacts();
    for (const line of liveLines)
      assert.ok(
        liveFacts.some((fact) => fact.id === `mtg-${started.id}-${line.index}` && fact.body === line.text),
        `live line ${line.index} is in memory`,
      );
    const stopped = await client.call('meeting.stop', { meeting_id: started.id });
    assert.equal(stopped.transcript_kind, 'final');
    const lines = stopped.transcript.filter((line) => /\S/.test(line.text));
    assert.deepEqual(
      lines.map((line) => line.role),
      ['me', 'them'],
    );
    assert.equal(lines[0]!.text, 'go forward ten meters');
    assert.match(lines[1]!.text, /thirty three .* ninety two/);
    assert.ok(lines[1]!.start_ms >= 4000, `the right channel speaks 4 s in (${lines[1]!.start_ms} ms)`);
    assert.deepEqual(
      lines.map((line) => line.index),
      [0, 1],
    );
    // Memory and the live transcript: the facts are the final lines, the live lines stay beside them.
    assert.deepEqual(
      finals(events)
        .map((event) => event.role)
        .sort(),
      ['me', 'them'],
    );
    assert.ok(existsSync(join(started.path, 'transcript.live.jsonl')));
    const hits = await client.call('memory.query', { query: 'thirty three ninety two', k: 5 });
    assert.ok(
      hits.some((fact) => fact.id === `mtg-${started.id}-${lines[1]!.index}` && fact.body === lines[1]!.text),
      JSON.stringify(hits),
    );
    assert.deepEqual(
      (await meetingFacts()).map(({ id, body }) => ({ id, body })).sort((a, b) => a.id.localeCompare(b.id)),
      lines.map((line) => ({ id: `mtg-${started.id}-${line.index}`, body: line.text })),
      'the live lines gave way to the final ones',
    );
    // One recording per stream, named by its role, each exactly its channel.
    assert.deepEqual(
      readdirSync(started.path)
        .filter((name) => name.endsWith('.wav'))
        .sort(),
      ['audio.1-me.wav', 'audio.2-them.wav'],
    );
    for (const [file, channel] of [
      ['audio.1-me.wav', left],
      ['audio.2-them.wav', right],
    ] as const) {
      const decoder = new WavDecoder();
      const recorded = decoder.push(readFileSync(join(started.path, file)));
      decoder.end();
      assert.ok(recorded.equals(channel.subarray(0, frames * 2)), `${file} holds its channel`);
    }
  });

  it('merges the sources of a recording by start time, each segment with its source’s role', async () => {
    const speech = goForward();
    const early = wavFile(Buffer.concat([speech, Buffer.alloc(6 * 32000)]));
    const late = wavFile(Buffer.concat([Buffer.alloc(4 * 32000), speech]));
    const lines = await finalPass(
      [
        { role: 'remote', file: late },
        { role: 'local', file: early },
      ],
      daemon.state.voice,
    );
    assert.deepEqual(
      lines.map((line) => line.role),
      ['local', 'remote'],
    );
    assert.deepEqual(
      lines.map((line) => line.index),
      [0, 1],
    );
    assert.ok(lines[1]!.start_ms >= 4000 && lines[0]!.start_ms < 1000, JSON.stringify(lines));
    for (const line of lines) assert.match(line.text, /forward/);
  });

  it('moves each source onto the meeting’s clock by its offset: a source that started recording later speaks later', async () => {
    const speech = goForward();
    const first = wavFile(Buffer.concat([Buffer.alloc(2 * 32000), speech, Buffer.alloc(32000)]));
    // Both say it 2 s into their own recordings, but the second recording began 3 s into the meeting.
    const second = wavFile(Buffer.concat([Buffer.alloc(2 * 32000), speech, Buffer.alloc(32000)]));
    const lines = await finalPass(
      [
        { role: 'late', file: second, offsetMs: 3000 },
        { role: 'early', file: first, offsetMs: 0 },
      ],
      daemon.state.voice,
    );
    assert.deepEqual(
      lines.map((line) => line.role),
      ['early', 'late'],
    );
    assert.equal(lines[1]!.start_ms - lines[0]!.start_ms, 3000);
    assert.equal(lines[1]!.end_ms - lines[0]!.end_ms, 3000);
  });

  it('keeps a file meeting’s transcript, already decoded as a recording, without a second pass', async () => {
    const file = wavFile(meetingPcm());
    const started = await client.call('meeting.start', { id: 'file-final', audio_source: { kind: 'file', path: file }, summarize_on_end: false });
    const record = await client.call('meeting.get', { meeting_id: started.id });
    assert.equal(record.transcript_kind, 'final');
    assert.equal(existsSync(join(started.path, 'transcript.live.jsonl')), false);
  });
});
