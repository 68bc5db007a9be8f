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
 * A side's first count to end between the limit and this is run once more and the better run
 * counts: at the edge of capacity the same count ended 0.5-2.7 s behind in different runs
 * (daemon, 11 streams), while a count really past capacity ends 2-5 s behind. Once per side,
 * so a host slow enough to leave every count near the limit does not add a run per count.
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
      // their transcripts can be compared word for word. The two paths alternate recording by
      // recording, for the whole decode and for the final's latency alike, and each keeps its
      // best of three rounds, so other load on the machine weighs on both alike (with two, a
      // final's latency still moved by ±20 % between runs: one ~300 ms decode per sample).
      decodeAll(decoder, goForward());
      await throughDaemon(client, goForward());
      const best = () => Array<number>(recordings.length).fill(Infinity);
      const alone = { texts: [] as string[], seconds: best(), lastChunkToFinalMs: best() };
      const ours = { texts: [] as string[], seconds: best(), lastChunkToFinalMs: best() };
      for (const round of [0, 1, 2]) {
        for (const [index, recording] of recordings.entries()) {
          const started = performance.now();
          const direct = decodeAll(decoder, recording.pcm);
          alone.seconds[index] = Math.min(alone.seconds[index]!, (performance.now() - started) / 1000);
          alone.lastChunkToFinalMs[index] = Math.min(alone.lastChunkToFinalMs[index]!, direct.lastChunkToFinalMs);
          const sent = performance.now();
          const result = await throughDaemon(client, recording.pcm);
          ours.seconds[index] = Math.min(ours.seconds[index]!, (performance.now() - sent) / 1000);
          ours.lastChunkToFinalMs[index] = Math.min(ours.lastChunkToFinalMs[index]!, await lastChunkToFinal(client, recording.pcm));
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

      const sortedLatencies = [...ours.lastChunkToFinalMs].sort((a, b) => a - b);
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
 * another recording and ending in silence. The daemon first runs 4 streams (timing
 * `sessions.list` and its CPU); then both sides search for the most streams they sustain,
 * their runs taking turns, so a slow phase of the host falls on both rather than on whichever
 * searched during it. Both start at the count the daemon's CPU per stream says two cores carry.
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
  const throughDaemon = async (count: number, watch?: (cpuDuringSpeech: Promise<number>, running: () => boolean) => Promise<void>): Promise<Step> => {
    const clients = await Promise.all(Array.from({ length: count }, () => daemon.connect()));
    const streamAudios = audios(count);
    try {
      let running = true;
      const cpuBefore = cpuSeconds(daemon.pid);
      // CPU while the streams carry speech, so the silent tail does not thin it out.
      const cpuDuringSpeech = watch && sleep(speechMs).then(() => cpuSeconds(daemon.pid) - cpuBefore);
      const streaming = Promise.all(clients.map((stream, index) => pacedLatency(stream, streamAudios[index]!))).finally(() => (running = false));
      const [, lags] = await Promise.all([cpuDuringSpeech && watch(cpuDuringSpeech, () => running), streaming]);
      return { stopMs: lags.map((lag) => lag.stopMs), speechEndMs: lags.map((lag) => lag.speechEndMs) };
    } finally {
      for (const stream of clients) stream.close();
    }
  };
  let busy: number[] = [];
  let coresUsed = NaN;
  const watched = await throughDaemon(CONCURRENT_STREAMS, async (cpuDuringSpeech, running) => {
    busy = await probeSessionsList(prober, () => !running(), Infinity);
    coresUsed = (await cpuDuringSpeech) / (speechMs / 1000);
  });
  prober.close();
  // Never below the watched run's count (and that count itself when the watched run fell behind), so both sides have a run at `start` to report side by side.
  const predicted = Math.floor(CORES / (coresUsed / CONCURRENT_STREAMS));
  const start = worstOf(watched) > BACKLOG_LIMIT_MS ? CONCURRENT_STREAMS : Math.min(CAPACITY_LIMIT, Math.max(CONCURRENT_STREAMS, predicted));
  const [ours, engine] = await sustainedSideBySide(
    [
      { who: 'daemon', run: (count) => throughDaemon(count), known: new Map([[CONCURRENT_STREAMS, watched]]) },
      { who: 'engine alone', run: (count) => engineAlonePaced(audios(count)) },
    ],
    start,
  );

  const speechLabel = `${Math.round(speechMs / 1000)} s of speech, then ${TAIL_SECONDS} s of silence, each`;
  const label = `${CONCURRENT_STREAMS} concurrent real-time streams (${speechLabel})`;
  const startLabel = `${start} concurrent real-time streams (${speechLabel}, both sides' first search run)`;
  return [
    underLimit(
      `${label}: daemon CPU per second of speech (vs ${CONCURRENT_STREAMS}× engine alone)`,
      'cores',
      coresUsed,
      CONCURRENT_STREAMS * engineCpuPerAudioSecond,
      2,
    ),
    reported(
      `${startLabel}: worst backlog at end, daemon vs the engine alone (its own threads in this process, same audio)`,
      'ms',
      Math.max(...ours.runs.get(start)!.stopMs),
      Math.max(...engine.runs.get(start)!.stopMs),
    ),
    reported(
      `${startLabel}: worst live-pass lag (speech_end behind its audio), daemon vs the engine alone`,
      'ms',
      Math.max(...ours.runs.get(start)!.speechEndMs),
      Math.max(...engine.runs.get(start)!.speechEndMs),
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
      `real-time streams sustained before worst backlog at end > ${BACKLOG_LIMIT_MS} ms: daemon vs the engine alone, same test, runs taking turns`,
      'streams',
      ours.sustained,
      engine.sustained,
      0.9,
    ),
    reported(
      `real-time streams sustained: daemon vs the CPU ceiling (${CORES} cores ÷ the engine's CPU per audio second)`,
      'streams',
      ours.sustained,
      Math.floor(CORES / engineCpuPerAudioSecond),
    ),
  ];
}

interface Contender {
  who: string;
  run: (count: number) => Promise<Step>;
  /** Runs already made, by count. */
  known?: Map<number, Step>;
}

/**
 * Each contender's most streams with the worst backlog at the end within the limit: from
 * `start`, one more at a time while it stays within, or one fewer at a time until it does. The
 * contenders still searching run in turn, one run each per round. Returns, per contender, that
 * count and every run by its count (the better one where a count ran twice).
 */
async function sustainedSideBySide(contenders: Contender[], start: number): Promise<{ sustained: number; runs: Map<number, Step> }[]> {
  const searches = contenders.map(({ who, run, known }) => ({ who, run, runs: new Map(known), passed: 0, failed: CAPACITY_LIMIT + 1, retried: false }));
  for (const search of searches) for (const [count, step] of search.runs) record(search, count, worstOf(step));
  const next = (search: (typeof searches)[number]) => {
    if (search.failed <= search.passed + 1) return null;
    if (search.passed < start && search.failed > start) return start;
    return search.failed > start ? search.passed + 1 : search.failed - 1;
  };
  function record(search: (typeof searches)[number], count: number, worst: number): void {
    if (worst <= BACKLOG_LIMIT_MS) search.passed = Math.max(search.passed, count);
    else search.failed = Math.min(search.failed, count);
  }
  for (;;) {
    const round = searches.map((search) => [search, next(search)] as const).filter(([, count]) => count !== null);
    if (!round.length) break;
    for (const [search, count] of round) {
      let step = await search.run(count!);
      let worst = worstOf(step);
      process.stderr.write(`  ${search.who}, ${count} stream${count === 1 ? '' : 's'}: worst backlog ${Math.round(worst)} ms\n`);
      if (worst > BACKLOG_LIMIT_MS && worst <= MARGINAL_BACKLOG_MS && !search.retried) {
        search.retried = true;
        const again = await search.run(count!);
        process.stderr.write(`  ${search.who}, ${count} streams again: worst backlog ${Math.round(worstOf(again))} ms\n`);
        if (worstOf(again) < worst) [step, worst] = [again, worstOf(again)];
      }
      search.runs.set(count!, step);
      record(search, count!, worst);
    }
  }
  return searches.map(({ passed, runs }) => ({ sustained: passed, runs }));
}

const worstOf = (step: Step) => Math.max(...step.stopMs);

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
