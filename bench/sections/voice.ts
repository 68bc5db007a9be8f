import { setTimeout as sleep } from 'node:timers/promises';
import type { CarClient } from '../../src/client/node.js';
import { transcribe } from '../../src/client/workflows/voice.js';
import { LIVE_WINDOWS } from '../../src/daemon/voice/engines/sphinx/window-rules.js';
import { DEFAULT_MODEL_DIR, createDecoder, sphinxModel } from '../../src/daemon/voice/engines/sphinx/addon.js';
import { defaultEngines } from '../../src/daemon/voice/engines/default-engines.js';
import { encodeVoiceFrame, type VoiceEvent } from '../../src/protocol/voice.js';
import { engineMissing, goForward, recordingsWithReferences, type Recording } from '../../test/daemon/voice/recordings.js';
import { atLeast, atMost, percentile, reported, summarize, underLimit, type BenchRow, type BenchSection } from '../harness.js';
import { cpuSeconds, startDaemon, type DaemonProcess } from '../support/processes.js';
import { BYTES_PER_SECOND, FRAME_BYTES, FRAME_MS, audioSeconds, decodeAll, errorRate, meetingStyle, sum } from '../support/speech.js';

const CONCURRENT_STREAMS = 4;
/** The concurrency test's streams carry the first recordings (with their pauses) up to about this much audio… */
const SPEECH_SECONDS = 15;
/**
 * …then this much more silence, as a speaker who stops before the stream ends. With the 1 s
 * pause after each recording, a stream alone has its last full-utterance final (a third of
 * the utterance, 2.2 s for the longest) before its last frame, so the backlog at the end is
 * backlog, not that final's designed latency.
 */
const TAIL_SECONDS = 2;
const CAPACITY_LIMIT = 16;
const BACKLOG_LIMIT_MS = 1000;
/**
 * A count whose worst backlog lands between the limit and this is run once more, on either side,
 * and the better run counts: at the edge of capacity the same count ended 0.5-2.7 s behind in
 * different runs (daemon, 11 streams), while a count really past capacity ends 2-5 s behind.
 */
const MARGINAL_BACKLOG_MS = 2 * BACKLOG_LIMIT_MS;
/** Idle `sessions.list` calls before the streams: p99 of 500 is its 5th worst, not one outlier. */
const IDLE_PROBES = 500;
const ENGINE_RATE = 16000;
const CORES = 2;

/** One real-time run of several streams: each stream's ms from its last frame to its stop result, and its live pass's worst lag. */
interface Step {
  stopMs: number[];
  speechEndMs: number[];
}

/**
 * Live speech-to-text (issue "voice"): accuracy, speed and latency of the whole path
 * (client → WebSocket → daemon → decoder thread → events) against the PocketSphinx
 * engine driven directly in this process, same recordings, same run; then concurrent
 * real-time streams through the daemon against the engine alone, same test.
 */
const section: BenchSection = {
  name: 'voice',
  async run() {
    if (engineMissing) throw new Error(`the voice bench needs the speech engine: ${engineMissing}`);
    const recordings = recordingsWithReferences();
    const seconds = audioSeconds(recordings);
    const rows: BenchRow[] = [];
    const decoder = createDecoder(sphinxModel(DEFAULT_MODEL_DIR));
    const daemon = await startDaemon();
    const client = await daemon.connect();
    try {
      // Both decoders hear the same audio in the same order (one warm-up recording first), so
      // their transcripts can be compared word for word; the two paths alternate recording by
      // recording, and each keeps its faster of two rounds, so other load on the machine
      // weighs on both alike.
      decodeAll(decoder, goForward());
      await throughDaemon(client, goForward());
      const alone = {
        texts: [] as string[],
        seconds: Array<number>(recordings.length).fill(Infinity),
        lastChunkToFinalMs: Array<number>(recordings.length).fill(Infinity),
      };
      const ours = { texts: [] as string[], seconds: Array<number>(recordings.length).fill(Infinity) };
      for (const round of [0, 1]) {
        for (const [index, recording] of recordings.entries()) {
          let started = performance.now();
          const direct = decodeAll(decoder, recording.pcm);
          alone.seconds[index] = Math.min(alone.seconds[index]!, (performance.now() - started) / 1000);
          alone.lastChunkToFinalMs[index] = Math.min(alone.lastChunkToFinalMs[index]!, direct.lastChunkToFinalMs);
          started = performance.now();
          const result = await throughDaemon(client, recording.pcm);
          ours.seconds[index] = Math.min(ours.seconds[index]!, (performance.now() - started) / 1000);
          if (round > 0) continue;
          alone.texts.push(direct.text);
          ours.texts.push(result.text);
        }
      }
      const aloneSeconds = sum(alone.seconds);
      rows.push(
        atMost(
          `WER, ${recordings.length} testdata recordings: daemon vs engine alone`,
          '%',
          errorRate(recordings, ours.texts),
          errorRate(recordings, alone.texts),
          1.05,
        ),
        atMost('real-time factor, whole path vs engine alone (sent as fast as decoded)', 'xRT', sum(ours.seconds) / seconds, aloneSeconds / seconds, 1.15),
      );

      // The faster of two rounds per recording, as for the engine alone above: the same statistic on both sides.
      const latencies = Array<number>(recordings.length).fill(Infinity);
      for (const _round of [0, 1])
        for (const [index, recording] of recordings.entries()) latencies[index] = Math.min(latencies[index]!, await lastChunkToFinal(client, recording.pcm));
      const sortedLatencies = [...latencies].sort((a, b) => a - b);
      const sortedAlone = [...alone.lastChunkToFinalMs].sort((a, b) => a - b);
      rows.push(
        atMost(
          "final latency, last chunk → final, caught-up stream vs the engine's own full-utterance decode (p50)",
          'ms',
          percentile(sortedLatencies, 50),
          percentile(sortedAlone, 50),
          1.3,
        ),
        atMost(
          "final latency, last chunk → final, caught-up stream vs the engine's own full-utterance decode (p95)",
          'ms',
          percentile(sortedLatencies, 95),
          percentile(sortedAlone, 95),
          1.3,
        ),
      );

      rows.push(...(await concurrentStreams(daemon, recordings, aloneSeconds / seconds)));
    } finally {
      decoder.free();
      client.close();
      await daemon.stop();
    }
    return rows;
  },
};
export default section;

/**
 * Concurrent real-time streams, through the daemon and through the engine alone (its own
 * threads in this process, no sockets), each stream a meeting-style recording started at
 * another recording and ending in silence. The daemon starts at 4 streams (that run also
 * times `sessions.list` and its CPU), then jumps to the count that CPU per stream says two
 * cores carry and adds (or drops) one at a time until the worst backlog at the end passes 1 s;
 * the engine alone starts at the count the daemon sustained, the count the comparison turns on,
 * then jumps to the CPU ceiling (two cores ÷ its CPU per audio second), so a daemon run that
 * came out low does not cost a run per stream on the way up.
 */
async function concurrentStreams(daemon: DaemonProcess, recordings: Recording[], engineCpuPerAudioSecond: number): Promise<BenchRow[]> {
  const speechRecordings = meetingStyle(recordings).starts.findIndex((start) => start * 2 >= SPEECH_SECONDS * BYTES_PER_SECOND);
  const meeting = meetingStyle(recordings.slice(0, speechRecordings === -1 ? recordings.length : speechRecordings));
  const speech = Buffer.from(meeting.pcm.buffer, meeting.pcm.byteOffset, meeting.pcm.byteLength);
  const speechMs = (speech.length / BYTES_PER_SECOND) * 1000;
  const tail = Buffer.alloc(TAIL_SECONDS * BYTES_PER_SECOND);
  const audios = (count: number) =>
    Array.from({ length: count }, (_, index) => Buffer.concat([rotate(speech, meeting.starts[index % meeting.starts.length]! * 2), tail]));

  const prober = await daemon.connect();
  const idle = await probeSessionsList(prober, () => false, IDLE_PROBES);
  let busy: number[] = [];
  let coresUsed = NaN;
  const throughDaemon = async (count: number): Promise<Step> => {
    const clients = await Promise.all(Array.from({ length: count }, () => daemon.connect()));
    const streamAudios = audios(count);
    const watched = count === CONCURRENT_STREAMS;
    try {
      let running = true;
      const cpuBefore = cpuSeconds(daemon.pid);
      // CPU while the streams carry speech, so the silent tail does not thin it out.
      const cpuDuringSpeech = watched ? sleep(speechMs).then(() => cpuSeconds(daemon.pid) - cpuBefore) : null;
      const streaming = Promise.all(clients.map((stream, index) => pacedLatency(stream, streamAudios[index]!))).finally(() => (running = false));
      const [samples, lags] = await Promise.all([watched ? probeSessionsList(prober, () => !running, Infinity) : [], streaming]);
      if (watched) {
        busy = samples;
        coresUsed = (await cpuDuringSpeech!) / (speechMs / 1000);
      }
      return { stopMs: lags.map((lag) => lag.stopMs), speechEndMs: lags.map((lag) => lag.speechEndMs) };
    } finally {
      for (const stream of clients) stream.close();
    }
  };
  // After the 4-stream run, the search jumps to what its CPU per stream says the cores can carry.
  const daemonSteps = await sustainedStreams('daemon', throughDaemon, CONCURRENT_STREAMS, () => Math.floor(CORES / (coresUsed / CONCURRENT_STREAMS)));
  prober.close();
  const compared = Math.max(1, daemonSteps.sustained);
  const engineSteps = await sustainedStreams(
    'engine alone',
    (count) => engineAlonePaced(audios(count)),
    compared,
    () => Math.floor(CORES / engineCpuPerAudioSecond),
  );

  const ours = daemonSteps.runs.get(compared)!;
  const engine = engineSteps.runs.get(compared)!;
  const speechLabel = `${Math.round(speechMs / 1000)} s of speech, then ${TAIL_SECONDS} s of silence, each`;
  const label = `${CONCURRENT_STREAMS} concurrent real-time streams (${speechLabel})`;
  const comparedLabel = `${compared} concurrent real-time streams (${speechLabel})`;
  return [
    underLimit(
      `${label}: daemon CPU per second of speech (vs ${CONCURRENT_STREAMS}× engine alone)`,
      'cores',
      coresUsed,
      CONCURRENT_STREAMS * engineCpuPerAudioSecond,
      2,
    ),
    reported(
      `${comparedLabel}: worst backlog at end, daemon vs the engine alone (its own threads in this process, same audio)`,
      'ms',
      Math.max(...ours.stopMs),
      Math.max(...engine.stopMs),
    ),
    reported(
      `${comparedLabel}: worst live-pass lag (speech_end behind its audio), daemon vs the engine alone`,
      'ms',
      Math.max(...ours.speechEndMs),
      Math.max(...engine.speechEndMs),
    ),
    atMost(
      `sessions.list p99 during ${CONCURRENT_STREAMS} streams (${busy.length} calls) vs idle (${idle.length})`,
      'ms',
      summarize(busy).p99,
      summarize(idle).p99,
      3,
    ),
    reported(`sessions.list p50 during ${CONCURRENT_STREAMS} streams vs idle`, 'ms', summarize(busy).p50, summarize(idle).p50),
    atLeast(
      `real-time streams sustained before worst backlog at end > ${BACKLOG_LIMIT_MS} ms: daemon vs the engine alone, same test`,
      'streams',
      daemonSteps.sustained,
      engineSteps.sustained,
      0.9,
    ),
    reported(
      `real-time streams sustained: daemon vs the CPU ceiling (${CORES} cores ÷ the engine's CPU per audio second)`,
      'streams',
      daemonSteps.sustained,
      Math.floor(CORES / engineCpuPerAudioSecond),
    ),
  ];
}

/**
 * Runs `first` streams (a count that misses the limit narrowly runs twice, the better run counting);
 * if the worst backlog at the end stays within the limit, runs `guess()`
 * streams (at least one more), then one more at a time while it stays within, or one fewer at a
 * time down to `first` until it does; if `first` is already too many, one fewer at a time.
 * Returns the most that stayed within the limit and every run by its count.
 */
async function sustainedStreams(
  who: string,
  run: (count: number) => Promise<Step>,
  first: number,
  guess: () => number,
): Promise<{ sustained: number; runs: Map<number, Step> }> {
  const runs = new Map<number, Step>();
  const trial = async (count: number) => {
    const step = await run(count);
    const worst = Math.max(...step.stopMs);
    process.stderr.write(`  ${who}, ${count} stream${count === 1 ? '' : 's'}: worst backlog ${Math.round(worst)} ms\n`);
    return { step, worst };
  };
  const within = async (count: number) => {
    let { step, worst } = await trial(count);
    if (worst > BACKLOG_LIMIT_MS && worst <= MARGINAL_BACKLOG_MS) {
      const again = await trial(count);
      if (again.worst < worst) ({ step, worst } = again);
    }
    runs.set(count, step);
    return worst <= BACKLOG_LIMIT_MS;
  };
  let count = first;
  if (!(await within(count))) {
    while (--count > 0 && !(await within(count)));
    return { sustained: count, runs };
  }
  count = Math.min(CAPACITY_LIMIT, Math.max(first + 1, guess() || 0));
  if (await within(count)) {
    while (count < CAPACITY_LIMIT && (await within(count + 1))) count++;
    return { sustained: count, runs };
  }
  while (--count > first && !(await within(count)));
  return { sustained: count, runs };
}

/**
 * The engine without the daemon: PocketSphinx with the daemon's own thread rule, in this
 * process, each audio written at real-time pace.
 */
async function engineAlonePaced(audios: Buffer[]): Promise<Step> {
  const engine = defaultEngines({}).find((candidate) => candidate.id === 'local')!;
  try {
    const speechEnds = audios.map(() => 0);
    let startedAt = 0;
    const streams = await Promise.all(
      audios.map((_, index) =>
        engine.open({ sampleRate: ENGINE_RATE, channels: 1, partials: true, mode: 'live' }, (event) => {
          if (event.type === 'speech_end') speechEnds[index] = Math.max(speechEnds[index]!, liveLag(startedAt, event.at_ms));
        }),
      ),
    );
    startedAt = performance.now();
    const stopMs = await Promise.all(streams.map((stream, index) => pacedWrites(stream.write.bind(stream), () => stream.end(), audios[index]!, startedAt)));
    return { stopMs, speechEndMs: speechEnds };
  } finally {
    await engine.close();
  }
}

/** How far behind real time a `speech_end` arrived: its window closed a sentence pause after `atMs` (issue 22), on a frame sent one frame before that. */
const liveLag = (startedAt: number, atMs: number) => performance.now() - (startedAt + atMs + LIVE_WINDOWS.sentencePauseMs - FRAME_MS);

/** Writes `pcm` in 100 ms frames at real-time pace from `startedAt`, then ends; returns ms from the last frame to the end's result. */
async function pacedWrites(write: (frame: Buffer) => unknown, end: () => Promise<unknown>, pcm: Buffer, startedAt: number): Promise<number> {
  const writes: unknown[] = [];
  for (let offset = 0; offset < pcm.length; offset += FRAME_BYTES) {
    const due = startedAt + (offset / BYTES_PER_SECOND) * 1000 - performance.now();
    if (due > 0) await sleep(due);
    writes.push(write(pcm.subarray(offset, offset + FRAME_BYTES)));
  }
  const lastSent = performance.now();
  await Promise.all(writes);
  await end();
  return performance.now() - lastSent;
}

/** What `car voice transcribe` does without --stream. */
function throughDaemon(client: CarClient, pcm: Buffer) {
  return transcribe(
    client,
    {
      sampleRate: 16000,
      channels: 1,
      pcm: (async function* () {
        yield pcm;
      })(),
    },
    { realtime: false, partials: true, onEvent: () => undefined },
  );
}

/**
 * The daemon's side of the engine's own full-utterance decode time: every frame but the last
 * sent and decoded (an empty push resolves once all earlier audio is), so the decoder is as
 * caught up as in a real-time stream; then ms from the last frame to the stop result, which
 * carries every final.
 */
async function lastChunkToFinal(client: CarClient, pcm: Buffer): Promise<number> {
  const { session_id } = await client.call('voice.transcribe_stream.start', {});
  const lastChunk = Math.floor((pcm.length - 1) / FRAME_BYTES) * FRAME_BYTES;
  let seq = 0;
  for (let offset = 0; offset < lastChunk; offset += FRAME_BYTES)
    client.sendBinary(encodeVoiceFrame(session_id, seq++, pcm.subarray(offset, offset + FRAME_BYTES)));
  await client.call('voice.transcribe_stream.push', { session_id, pcm_b64: '' });
  const started = performance.now();
  client.sendBinary(encodeVoiceFrame(session_id, seq, pcm.subarray(lastChunk)));
  await client.call('voice.transcribe_stream.stop', { session_id });
  return performance.now() - started;
}

/**
 * Streams at real-time pace through the daemon. `stopMs`: from sending the last frame to the
 * stop result (every final delivered). `speechEndMs`: the worst delay of a `speech_end` behind
 * the audio that revealed it, i.e. how far the live pass fell behind.
 */
async function pacedLatency(client: CarClient, pcm: Buffer): Promise<{ stopMs: number; speechEndMs: number }> {
  const { session_id } = await client.call('voice.transcribe_stream.start', {});
  const events: VoiceEvent[] = [];
  let speechEndMs = 0;
  const startedAt = performance.now();
  const unsubscribe = client.on('voice.event', (params) => {
    if (params.session_id !== session_id) return;
    events.push(params.event);
    if (params.event.type === 'speech_end') speechEndMs = Math.max(speechEndMs, liveLag(startedAt, params.event.at_ms));
  });
  let seq = 0;
  const stopMs = await pacedWrites(
    (frame) => client.sendBinary(encodeVoiceFrame(session_id, seq++, frame)),
    () => client.call('voice.transcribe_stream.stop', { session_id }),
    pcm,
    startedAt,
  );
  unsubscribe();
  if (events.some((event) => event.type === 'error'))
    throw new Error(`voice session failed: ${JSON.stringify(events.find((event) => event.type === 'error'))}`);
  return { stopMs, speechEndMs };
}

/** Sequential `sessions.list` round trips every 10 ms, until `done()` or `count` samples. */
async function probeSessionsList(client: CarClient, done: () => boolean, count: number): Promise<number[]> {
  const samples: number[] = [];
  while (samples.length < count && !done()) {
    const started = performance.now();
    await client.call('sessions.list', {});
    samples.push(performance.now() - started);
    await sleep(10);
  }
  return samples;
}

/** The same audio started at another point, so concurrent streams do not decode identical chunks in lockstep. */
const rotate = (pcm: Buffer, offset: number) => Buffer.concat([pcm.subarray(offset), pcm.subarray(0, offset)]);
