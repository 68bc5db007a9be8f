import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { WavDecoder, wavHeader } from '../../../src/audio/wav.js';
import type { CarClient } from '../../../src/client/node.js';
import { finalPass } from '../../../src/daemon/meetings/final-pass.js';
import type { InProcessDaemon } from '../../helpers/in-process.js';
import { tempStateRoot } from '../../helpers/paths.js';
import { startInference } from '../inference/support.js';
import { engineMissing, goForward } from '../voice/recordings.js';
import { pushAll } from '../voice/support.js';
import { meetingPcm, stateRootWithStories } from './support.js';

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

  it('merges the sources of a recording by start time, each segment with its source’s role', async () => {
    const speech = goForward();
    const early = wavFile(Buffer.concat([speech, Buffer.alloc(6 * 32000)]));
    const late = wavFile(Buffer.concat([Buffer.alloc(4 * 32000), speech]));
    const lines = await finalPass([{ role: 'remote', file: late }, { role: 'local', file: early }], daemon.state.voice);
    assert.deepEqual(lines.map((line) => line.role), ['local', 'remote']);
    assert.deepEqual(lines.map((line) => line.index), [0, 1]);
    assert.ok(lines[1]!.start_ms >= 4000 && lines[0]!.start_ms < 1000, JSON.stringify(lines));
    for (const line of lines) assert.match(line.text, /forward/);
  });

  it('keeps a file meeting’s transcript, already decoded as a recording, without a second pass', async () => {
    const file = wavFile(meetingPcm());
    const started = await client.call('meeting.start', { id: 'file-final', audio_source: { kind: 'file', path: file }, summarize_on_end: false });
    const record = await client.call('meeting.get', { meeting_id: started.id });
    assert.equal(record.transcript_kind, 'final');
    assert.equal(existsSync(join(started.path, 'transcript.live.jsonl')), false);
  });
});
