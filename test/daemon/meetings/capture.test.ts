import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { WavDecoder, wavHeader } from '../../../src/audio/wav.js';
import { ErrorCode } from '../../../src/protocol/errors.js';
import type { MeetingStoppedParams } from '../../../src/protocol/meeting.js';
import { startDaemon, type DaemonProcess } from '../../helpers/daemon.js';
import { startInProcess } from '../../helpers/in-process.js';
import { tempStateRoot } from '../../helpers/paths.js';
import { rejectsWith } from '../../helpers/rpc.js';
import { startSoundServer, soundServerMissing, type SoundServerFixture } from '../../helpers/sound-server.js';
import { waitFor } from '../../helpers/wait.js';
import { TESTDATA, engineMissing, goForward } from '../voice/recordings.js';
import { finals, meetingEvents } from './support.js';

const numbers = () => readFileSync(join(TESTDATA, 'numbers.raw'));
/** Where speech begins in each recording, as the engine segments it alone (ms). */
const SPEECH_ONSET_MS = 100;
/**
 * How far a line's start may sit from where its clip was heard: the engine closes and opens
 * utterances on 10 ms frames with some padding, parec hands audio over in 50 ms pieces, and the
 * feeder and pacat pace their clips to within a few tens of ms.
 */
const TIMING_TOLERANCE_MS = 300;

/** Capture meetings against a real daemon process and a private PulseAudio: real sources, real recordings, real roles and times. */
describe('meetings that record the room', { skip: engineMissing || soundServerMissing }, () => {
  let sound: SoundServerFixture;
  let daemon: DaemonProcess;

  before(async () => {
    sound = await startSoundServer();
    daemon = await startDaemon({ env: sound.env });
  });
  after(async () => {
    await daemon?.stop();
    await sound?.stop();
  });

  it('records the microphone and the speakers’ monitor as two streams: a role per line, merged in the order spoken, at the time heard', async () => {
    const client = await daemon.connect({ memoryNamespace: 'meetings' });
    const started = await client.call('meeting.start', { title: 'call', sources: ['mic', 'system'], summarize_on_end: false });
    assert.equal(started.voice_session_id, null, 'the daemon feeds its streams');
    assert.deepEqual(
      started.sources.map(({ role, device }) => ({ role, device })),
      [
        { role: 'mic', device: 'mic' },
        { role: 'system', device: 'speakers.monitor' },
      ],
    );
    const events = meetingEvents(client, started.id);
    const meetingStart = Date.parse(started.started_at);
    // They talk over each other: the microphone's longer sentence starts first and ends last.
    const [said, played] = await Promise.all([sound.say(numbers()), new Promise((resolve) => setTimeout(resolve, 700)).then(() => sound.play(goForward()))]);
    await waitFor(() => finals(events).length >= 2, 'a final from each stream', 30_000);
    const stopped = await client.call('meeting.stop', { meeting_id: started.id });

    assert.equal(stopped.audio_source_kind, 'capture');
    // The record reads back from meeting.json as it was returned, not as a corrupt `failed` entry.
    const stored = await client.call('meeting.get', { meeting_id: started.id });
    assert.deepEqual([stored.status, stored.duration_ms], ['stopped', stopped.duration_ms], JSON.stringify({ ...stored, transcript: undefined }));
    // Issue 22: each source's recording was decoded again at stop, with its role and its clock offset, and its audio then removed.
    assert.equal(stopped.transcript_kind, 'final');
    assert.deepEqual(recordings(started.path), []);
    assert.deepEqual(
      readLines(join(started.path, 'transcript.live.jsonl'))
        .map((line) => line.role)
        .sort(),
      ['mic', 'system'],
      'the live transcript is kept beside it',
    );
    assert.deepEqual(stopped.sources, [
      { role: 'mic', device: 'mic' },
      { role: 'system', device: 'speakers.monitor' },
    ]);
    const heardAt = (clip: { startedAt: number }) => clip.startedAt - meetingStart + SPEECH_ONSET_MS;
    const lines = stopped.transcript.filter((line) => /\S/.test(line.text));
    assert.deepEqual(
      lines.map((line) => line.role),
      ['mic', 'system'],
      `in the order spoken: ${JSON.stringify(lines)}; said at ${heardAt(said)}, played at ${heardAt(played)}`,
    );
    assert.match(lines[0]!.text, /thirty three .* ninety two/);
    assert.equal(lines[1]!.text, 'go forward ten meters');
    assert.ok(Math.abs(lines[0]!.start_ms - heardAt(said)) <= TIMING_TOLERANCE_MS, `mic line at ${lines[0]!.start_ms} ms, spoken at ${heardAt(said)} ms`);
    assert.ok(
      Math.abs(lines[1]!.start_ms - heardAt(played)) <= TIMING_TOLERANCE_MS,
      `system line at ${lines[1]!.start_ms} ms, played at ${heardAt(played)} ms`,
    );
    const markdown = readFileSync(join(started.path, 'transcript.md'), 'utf8');
    assert.match(markdown, /^\[00:0\d\] mic: thirty three .*\n\n\[00:0\d\] system: go forward ten meters$/m);
    // The forwarded finals carry the role and the meeting's own line numbers.
    assert.deepEqual(
      finals(events)
        .map((event) => event.role)
        .sort(),
      ['mic', 'system'],
    );
    client.close();
  });

  it('keeps recording after the connection that started it is gone; a host-role session stops it, another client may not', async () => {
    const owner = await daemon.connect({ memoryNamespace: 'meetings' });
    const started = await owner.call('meeting.start', {
      id: 'outlives-owner',
      audio_source: { kind: 'capture', sources: [{ device: 'mic', role: 'me' }] },
      summarize_on_end: false,
      persist_audio: true,
    });
    owner.close();
    const watcher = await daemon.connect();
    await new Promise((resolve) => setTimeout(resolve, 500));
    assert.equal((await watcher.call('meeting.get', { meeting_id: started.id })).status, 'recording', 'the owner’s teardown left it recording');
    await sound.say(goForward());
    const saved = await waitFor(
      async () => (await watcher.call('meeting.get', { meeting_id: started.id })).transcript.find((line) => /\S/.test(line.text)),
      'a line heard after the owner left',
      30_000,
    );
    assert.deepEqual([saved.role, saved.text], ['me', 'go forward ten meters']);
    await rejectsWith(
      watcher.call('meeting.stop', { meeting_id: started.id }),
      ErrorCode.Forbidden,
      /belongs to another connection; only the connection that started it, or a host-role session/,
    );
    const host = await daemon.connect({ asHost: true });
    const [stream] = (await host.call('voice.sessions.list', {})).filter((session) => session.meeting_id === started.id);
    const listedAt = performance.now();
    const stopped = await host.call('meeting.stop', { meeting_id: started.id });
    const stopTookMs = performance.now() - listedAt;
    assert.equal(stopped.stop_reason, 'requested');
    assert.equal(stopped.segment_count, stopped.transcript.length);
    assert.equal(stopped.transcript_kind, 'final');
    assert.deepEqual(
      stopped.transcript.filter((line) => /\S/.test(line.text)).map((line) => [line.role, line.text]),
      [['me', 'go forward ten meters']],
    );
    // persist_audio keeps the stream's recording, named by its role: 16 kHz mono, every sample its voice session was given (the
    // private microphone hands over a backlog when recording starts, which the stream's clock offset places before the meeting).
    assert.deepEqual(recordings(started.path), ['audio.1-me.wav']);
    const decoder = new WavDecoder();
    const pcm = decoder.push(readFileSync(join(started.path, 'audio.1-me.wav')));
    decoder.end();
    assert.deepEqual([decoder.format?.sampleRate, decoder.format?.channels], [16000, 1]);
    const recordedMs = pcm.length / 32;
    const receivedMs = stream!.bytes_received / 32;
    assert.ok(
      recordedMs >= receivedMs && recordedMs <= receivedMs + stopTookMs + 100,
      `${recordedMs} ms recorded; the stream had received ${receivedMs} ms ${Math.round(stopTookMs)} ms before it stopped`,
    );
    host.close();
    watcher.close();
  });

  it('two meetings on the same microphone both hear it', async () => {
    const client = await daemon.connect();
    const [first, second] = await Promise.all([
      client.call('meeting.start', { sources: ['mic'], summarize_on_end: false }),
      client.call('meeting.start', { sources: ['mic'], summarize_on_end: false }),
    ]);
    const firstEvents = meetingEvents(client, first.id);
    const secondEvents = meetingEvents(client, second.id);
    await sound.say(goForward());
    await waitFor(() => finals(firstEvents).length >= 1 && finals(secondEvents).length >= 1, 'a final in each meeting', 30_000);
    for (const meeting of [first, second]) {
      const stopped = await client.call('meeting.stop', { meeting_id: meeting.id });
      assert.deepEqual(
        stopped.transcript.filter((line) => /\S/.test(line.text)).map((line) => [line.role, line.text]),
        [['mic', 'go forward ten meters']],
      );
    }
    client.close();
  });

  it('stops with device_lost when a recorded source vanishes, keeping the transcript and telling the owner which source', async () => {
    const headset = await sound.addSink('headset');
    const client = await daemon.connect();
    const stoppedNotices: MeetingStoppedParams[] = [];
    client.on('meeting.stopped', (params) => stoppedNotices.push(params));
    const started = await client.call('meeting.start', {
      audio_source: {
        kind: 'capture',
        sources: [
          { device: 'mic', role: 'me' },
          { device: headset.monitor, role: 'them' },
        ],
      },
      summarize_on_end: false,
    });
    const events = meetingEvents(client, started.id);
    await sound.play(goForward(), 'headset');
    await waitFor(() => finals(events).some((event) => event.role === 'them'), 'the headset’s line', 30_000);
    await headset.remove();
    const notice = await waitFor(() => stoppedNotices.find((params) => params.meeting_id === started.id), 'meeting.stopped');
    assert.equal(notice.stop_reason, 'device_lost');
    assert.equal(notice.detail, "source 'headset.monitor' was removed from the sound server");
    const record = await waitFor(async () => {
      const got = await client.call('meeting.get', { meeting_id: started.id });
      return got.status !== 'recording' && got;
    }, 'the meeting to be saved');
    assert.equal(record.status, 'stopped');
    assert.equal(record.stop_reason, 'device_lost');
    assert.equal(record.transcript_kind, 'final', 'what was recorded got its final pass');
    assert.deepEqual(recordings(started.path), []);
    assert.deepEqual(
      record.transcript.filter((line) => /\S/.test(line.text)).map((line) => [line.role, line.text]),
      [['them', 'go forward ten meters']],
    );
    assert.deepEqual(await client.call('voice.sessions.list', {}), [], 'both streams ended');
    client.close();
  });

  it('splits a stereo WAV the daemon reads into one stream per channel, labelled by channel_roles', async () => {
    const left = Buffer.concat([goForward(), Buffer.alloc(5 * 32000)]);
    const right = Buffer.concat([Buffer.alloc(4 * 32000), numbers(), Buffer.alloc(32000)]);
    const frames = Math.min(left.length, right.length) / 2;
    const stereo = Buffer.alloc(frames * 4);
    for (let frame = 0; frame < frames; frame++) {
      stereo.writeInt16LE(left.readInt16LE(frame * 2), frame * 4);
      stereo.writeInt16LE(right.readInt16LE(frame * 2), frame * 4 + 2);
    }
    const file = join(tempStateRoot('car-call-'), 'call.wav');
    writeFileSync(file, Buffer.concat([wavHeader(16000, 2, stereo.length), stereo]));
    const client = await daemon.connect();
    const started = await client.call('meeting.start', {
      audio_source: { kind: 'file', path: file, split_channels: true, channel_roles: ['me', 'them'] },
      summarize_on_end: false,
    });
    const record = await waitFor(
      async () => {
        const got = await client.call('meeting.get', { meeting_id: started.id });
        return got.status !== 'recording' && got;
      },
      'the end of the file',
      60_000,
    );
    assert.equal(record.stop_reason, 'end_of_file');
    assert.deepEqual(record.sources, [
      { role: 'me', device: 'channel 1' },
      { role: 'them', device: 'channel 2' },
    ]);
    const lines = record.transcript.filter((line) => /\S/.test(line.text));
    assert.deepEqual(
      lines.map((line) => line.role),
      ['me', 'them'],
    );
    assert.equal(lines[0]!.text, 'go forward ten meters');
    assert.match(lines[1]!.text, /thirty three .* ninety two/);
    assert.ok(lines[1]!.start_ms >= 4000, `the right channel speaks 4 s in (${lines[1]!.start_ms} ms)`);
    assert.equal(record.duration_ms, Math.round((frames / 16000) * 1000));
    client.close();
  });

  it('kill -9 mid-capture leaves no recorder behind; the restart repairs the meeting as for any other', async () => {
    const doomed = await startDaemon({ env: sound.env });
    const client = await doomed.connect();
    const started = await client.call('meeting.start', { sources: ['mic', 'system'], summarize_on_end: false });
    const events = meetingEvents(client, started.id);
    await sound.say(goForward());
    await waitFor(() => finals(events).length >= 1, 'a final', 30_000);
    const tools = childrenOf(doomed.pid);
    assert.deepEqual(tools.map((child) => child.command).sort(), ['pactl', 'parec', 'parec'], 'two recorders and the removal watcher');
    assert.deepEqual(recordings(started.path), ['audio.1-mic.wav', 'audio.2-system.wav'], 'each source is recorded for the final pass');
    await doomed.kill();
    await waitFor(() => tools.every((child) => !alive(child.pid)), 'the recorders to die with the daemon', 5_000);

    const restarted = await startDaemon({ stateRoot: doomed.stateRoot, env: sound.env });
    try {
      const reader = await restarted.connect();
      const record = await reader.call('meeting.get', { meeting_id: started.id });
      assert.equal(record.status, 'interrupted');
      assert.equal(record.stop_reason, 'daemon_restart');
      assert.equal(record.transcript_kind, 'live');
      assert.ok(record.transcript.some((line) => line.text === 'go forward ten meters' && line.role === 'mic'));
      assert.deepEqual(recordings(started.path), [], 'the recordings of a final pass that never ran are removed');
      reader.close();
    } finally {
      await restarted.stop();
    }
  });
});

describe('capture meetings that cannot start', { skip: soundServerMissing }, () => {
  it('without a sound server: -32014 saying which server is missing and how to start it; no meeting is created', async () => {
    const daemon = await startInProcess({ soundServer: { pulseServer: 'unix:/nonexistent/pulse/native' } });
    try {
      const client = await daemon.connect();
      const refused = await rejectsWith(
        client.call('meeting.start', { sources: ['mic'] }),
        ErrorCode.Unavailable,
        /no sound server answers at PULSE_SERVER=unix:\/nonexistent\/pulse\/native.*`pulseaudio --start`/,
      );
      assert.match(String(refused.data?.hint), /`apt install pulseaudio`/);
      assert.deepEqual(await client.call('meeting.list', {}), { meetings: [] });
      assert.ok(!existsSync(join(daemon.stateRoot, 'meetings')) || readdirSync(join(daemon.stateRoot, 'meetings')).length === 0);
      assert.deepEqual(await client.call('voice.sessions.list', {}), []);
      client.close();
    } finally {
      await daemon.close();
    }
  });

  it('refuses two sources with one role, channel roles without a split, and a split of mono audio', async () => {
    const daemon = await startInProcess({ soundServer: { pulseServer: 'unix:/nonexistent/pulse/native' } });
    try {
      const client = await daemon.connect();
      await rejectsWith(
        client.call('meeting.start', { sources: ['mic'], audio_source: { kind: 'capture', sources: [{ device: 'mic' }] } }),
        ErrorCode.InvalidParams,
        /either as 'sources' or as audio_source/,
      );
      await rejectsWith(
        client.call('meeting.start', { audio_source: { kind: 'pcm_push', channels: 2, channel_roles: ['me', 'them'] } }),
        ErrorCode.InvalidParams,
        /channel_roles labels split channels; set split_channels: true/,
      );
      await rejectsWith(
        client.call('meeting.start', { audio_source: { kind: 'pcm_push', split_channels: true } }),
        ErrorCode.InvalidParams,
        /split_channels needs stereo audio \(channels: 2\)/,
      );
      await rejectsWith(
        client.call('meeting.start', { audio_source: { kind: 'pcm_push', channels: 2, split_channels: true, channel_roles: ['me', 'me'] } }),
        ErrorCode.InvalidParams,
        /both channels would carry the role 'me'/,
      );
      await rejectsWith(
        client.call('meeting.start', { audio_source: { kind: 'capture', sources: [{ device: 'mic', role: 'a:b' }] } }),
        ErrorCode.InvalidParams,
        /role.*without control characters or ':'/,
      );
      assert.deepEqual(await client.call('meeting.list', {}), { meetings: [] });
      client.close();
    } finally {
      await daemon.close();
    }
  });
});

/** The streams' recordings in a meeting's directory. */
const recordings = (dir: string) =>
  readdirSync(dir)
    .filter((name) => /^audio.*\.wav$/.test(name))
    .sort();

const readLines = (file: string) =>
  readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((row) => JSON.parse(row) as { role: string; text: string });

/** The direct children of `pid`, from /proc. */
function childrenOf(pid: number): { pid: number; command: string }[] {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .flatMap((entry) => {
      try {
        const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
        const command = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
        const parent = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
        return parent === pid ? [{ pid: Number(entry), command }] : [];
      } catch {
        return [];
      }
    });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
