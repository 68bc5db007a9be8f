import { setTimeout as sleep } from 'node:timers/promises';
import type { CarClient } from '../../src/client/node.js';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { encodeVoiceFrame } from '../../src/protocol/voice.js';
import { TESTDATA, engineMissing, recordingsWithReferences } from '../../test/daemon/voice/recordings.js';
import { startSoundServer, soundServerMissing } from '../../test/helpers/sound-server.js';
import { atMost, percentile, reported, type BenchRow, type BenchSection } from '../harness.js';
import { childPids, cpuSeconds, startDaemon } from '../support/processes.js';

const BYTES_PER_SECOND = 32000;
const FRAME_BYTES = BYTES_PER_SECOND / 10;
/** Recordings up to this long (one utterance, or two close together): the last final of each is timed. */
const MAX_CLIP_SECONDS = 4;
/** Silence after each clip, as a microphone keeps sending: long enough for the segmenter to close the utterance. */
const TRAILING_SILENCE_SECONDS = 2.5;
/** Reported rows only; at 3-6 % of a core, 10 s is still 30-60 clock ticks of CPU per side, and the 20 s it saves pays for the voice section's third round. */
const IDLE_SECONDS = 10;

/**
 * Capture (issue 21): the latency from the end of speech at the microphone to its final, with
 * the daemon recording through the sound server (a private PulseAudio, the microphone a FIFO),
 * against the same audio pushed over the socket at the same pace; and the daemon's CPU while a
 * meeting records two silent sources, against a pushed meeting of two streams fed silence.
 */
const section: BenchSection = {
  name: 'capture',
  async run() {
    if (engineMissing || soundServerMissing)
      throw new Error(`the capture bench needs the speech engine and PulseAudio: ${engineMissing || soundServerMissing}`);
    const clips = [
      ...recordingsWithReferences().map((recording) => recording.pcm),
      ...['numbers.raw', 'something.raw'].map((name) => readFileSync(join(TESTDATA, name))),
    ].filter((pcm) => pcm.length <= MAX_CLIP_SECONDS * BYTES_PER_SECOND);
    const sound = await startSoundServer();
    const daemon = await startDaemon({ env: sound.env });
    const pushDaemon = await startDaemon();
    const client = await daemon.connect();
    const pushClient = await pushDaemon.connect();
    try {
      const captured: number[] = [];
      const pushed: number[] = [];
      // The two paths take each clip at the same time, each in its own daemon, so other load on the machine weighs on both alike.
      for (const clip of clips) {
        const [capturedMs, pushedMs] = await Promise.all([capturedLatency(client, () => sound.say(clip)), pushedLatency(pushClient, clip)]);
        captured.push(capturedMs);
        pushed.push(pushedMs);
      }
      const sort = (values: number[]) => [...values].sort((a, b) => a - b);
      const rows: BenchRow[] = [
        atMost(
          `end of speech → last final, p50 (${clips.length} recordings ≤ ${MAX_CLIP_SECONDS} s): captured from the microphone vs pushed over the socket at the same pace`,
          'ms',
          percentile(sort(captured), 50),
          percentile(sort(pushed), 50),
          1.5,
        ),
        atMost(
          `end of speech → last final, p95 (${clips.length} recordings ≤ ${MAX_CLIP_SECONDS} s): captured from the microphone vs pushed over the socket at the same pace`,
          'ms',
          percentile(sort(captured), 95),
          percentile(sort(pushed), 95),
          1.5,
        ),
      ];

      // Both at once, each in its own daemon: two idle meetings barely load the machine, and each figure is its own daemon's CPU.
      const [idle, pushedIdle] = await Promise.all([
        idleCpu(daemon.pid, async () => {
          const meeting = await client.call('meeting.start', { sources: ['mic', 'system'], summarize_on_end: false });
          return async () => void (await client.call('meeting.stop', { meeting_id: meeting.id }));
        }),
        idleCpu(pushDaemon.pid, async () => {
          const meeting = await pushClient.call('meeting.start', {
            audio_source: { kind: 'pcm_push', channels: 2, split_channels: true },
            summarize_on_end: false,
          });
          const feeding = feedSilence(
            pushClient,
            meeting.sources.map((source) => source.voice_session_id),
          );
          return async () => {
            feeding.abort();
            await pushClient.call('meeting.stop', { meeting_id: meeting.id });
          };
        }),
      ]);
      rows.push(
        reported(
          `CPU while a meeting records 2 silent sources (daemon + its recorders) vs a pushed 2-stream meeting fed silence (daemon)`,
          '% core',
          idle.total,
          pushedIdle.daemon,
        ),
        reported(`CPU while a meeting records 2 silent sources: the daemon alone vs the pushed meeting's daemon`, '% core', idle.daemon, pushedIdle.daemon),
      );
      return rows;
    } finally {
      client.close();
      pushClient.close();
      await Promise.all([daemon.stop(), pushDaemon.stop()]);
      await sound.stop();
    }
  },
};
export default section;

/** Arrival times (ms, epoch) of a session's finals. */
function finalsOf(client: CarClient, sessionId: string): number[] {
  const arrivals: number[] = [];
  client.on('voice.event', ({ session_id, event }) => {
    if (session_id === sessionId && event.type === 'transcript' && /\S/.test(event.text)) arrivals.push(Date.now());
  });
  return arrivals;
}

/** A dictation of the microphone while `speak` says a clip, then trailing silence; ms from the clip's last sample to its last final. */
async function capturedLatency(client: CarClient, speak: () => Promise<{ endedAt: number }>): Promise<number> {
  const { session_id } = await client.call('voice.transcribe_stream.start', { audio_source: { kind: 'capture', sources: [{ device: 'mic' }] } });
  const finals = finalsOf(client, session_id);
  const spoken = await speak();
  await sleep(TRAILING_SILENCE_SECONDS * 1000);
  await client.call('voice.transcribe_stream.stop', { session_id });
  return lastOf(finals) - spoken.endedAt;
}

/** The clip then trailing silence, sent as binary frames at real-time pace; ms from its last audio frame to its last final. */
async function pushedLatency(client: CarClient, clip: Buffer): Promise<number> {
  const { session_id } = await client.call('voice.transcribe_stream.start', {});
  const finals = finalsOf(client, session_id);
  const audio = Buffer.concat([clip, Buffer.alloc(TRAILING_SILENCE_SECONDS * BYTES_PER_SECOND)]);
  const startedAt = performance.now();
  let speechSentAt = 0;
  let seq = 0;
  for (let offset = 0; offset < audio.length; offset += FRAME_BYTES) {
    const due = startedAt + (offset / BYTES_PER_SECOND) * 1000 - performance.now();
    if (due > 0) await sleep(due);
    client.sendBinary(encodeVoiceFrame(session_id, seq++, audio.subarray(offset, offset + FRAME_BYTES)));
    if (offset + FRAME_BYTES >= clip.length && speechSentAt === 0) speechSentAt = Date.now();
  }
  await client.call('voice.transcribe_stream.stop', { session_id });
  return lastOf(finals) - speechSentAt;
}

function lastOf(arrivals: number[]): number {
  if (arrivals.length === 0) throw new Error('a clip gave no final');
  return arrivals.at(-1)!;
}

/** Silence to each voice session at real-time pace until aborted. */
function feedSilence(client: CarClient, sessionIds: string[]): AbortController {
  const stop = new AbortController();
  void (async () => {
    const startedAt = performance.now();
    for (let seq = 0; !stop.signal.aborted; seq++) {
      for (const id of sessionIds) client.sendBinary(encodeVoiceFrame(id, seq, Buffer.alloc(FRAME_BYTES)));
      const due = startedAt + (seq + 1) * 100 - performance.now();
      if (due > 0) await sleep(due);
    }
  })();
  return stop;
}

/** CPU (% of one core) of the daemon and of its child processes over IDLE_SECONDS of what `begin` starts (after a settling second). */
async function idleCpu(pid: number, begin: () => Promise<() => Promise<void>>): Promise<{ daemon: number; total: number }> {
  const end = await begin();
  await sleep(1000);
  const children = childPids(pid);
  const childCpu = () => children.reduce((sum, child) => sum + cpuSeconds(child), 0);
  const daemonBefore = cpuSeconds(pid);
  const childrenBefore = childCpu();
  await sleep(IDLE_SECONDS * 1000);
  const daemon = ((cpuSeconds(pid) - daemonBefore) / IDLE_SECONDS) * 100;
  const total = daemon + ((childCpu() - childrenBefore) / IDLE_SECONDS) * 100;
  await end();
  return { daemon, total };
}
