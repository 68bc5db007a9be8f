import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { CarClient } from '../../src/client/node.js';
import { transcribe } from '../../src/client/workflows/voice.js';
import { UtteranceSegmenter } from '../../src/daemon/voice/engines/sphinx/segmenter.js';
import { LIVE_WINDOWS } from '../../src/daemon/voice/engines/sphinx/window-rules.js';
import { DEFAULT_MODEL_DIR, createDecoder, sphinxModel, type OwnedDecoder } from '../../src/daemon/voice/engines/sphinx/addon.js';
import { concatSamples, samplesOf } from '../../src/audio/frames.js';
import { SileroSegmenter } from '../../src/daemon/voice/engines/silero-vad.js';
import { defaultEngines } from '../../src/daemon/voice/engines/default-engines.js';
import type { SttStream } from '../../src/daemon/voice/stt-engine.js';
import { encodeVoiceFrame, type VoiceEvent } from '../../src/protocol/voice.js';
import { engineMissing, goForward, recordingsWithReferences, wordErrors, type Recording } from '../../test/daemon/voice/recordings.js';
import { atMost, percentile, reported, summarize, underLimit, type BenchRow, type BenchSection } from '../harness.js';
import { cpuSeconds, startDaemon } from '../support/processes.js';
import { SHARED_MODELS } from '../../test/helpers/paths.js';

const BYTES_PER_SECOND = 32000;
/** The real Silero VAD model of the shared models directory (never copied into the project). */
const SILERO_MODEL = join(SHARED_MODELS, 'silero_vad.onnx');
const FRAME_BYTES = BYTES_PER_SECOND / 10;
const FRAME_MS = (FRAME_BYTES / BYTES_PER_SECOND) * 1000;
const CONCURRENT_STREAMS = 4;
/** Stream counts tried for capacity, and the audio each stream sends at real-time pace. */
const CAPACITY_STEP = 2;
const CAPACITY_LIMIT = 16;
/** Capacity streams carry the first recordings (with their pauses) up to about this much audio. */
const CAPACITY_AUDIO_SECONDS = 15;
const ENGINE_RATE = 16000;
const BACKLOG_LIMIT_MS = 1000;
const CORES = 2;

const sum = (values: number[]) => values.reduce((total, value) => total + value, 0);

/**
 * Live speech-to-text (issue "voice"): accuracy, speed and latency of the whole path
 * (client → WebSocket → daemon → decoder thread → events) against the PocketSphinx
 * engine driven directly in this process, same recordings, same run.
 */
const section: BenchSection = {
  name: 'voice',
  async run() {
    if (engineMissing) throw new Error(`the voice bench needs the speech engine: ${engineMissing}`);
    const recordings = recordingsWithReferences();
    const audioSeconds = sum(recordings.map((recording) => recording.pcm.length / BYTES_PER_SECOND));
    const rows: BenchRow[] = [];

    const decoder = createDecoder(sphinxModel(DEFAULT_MODEL_DIR));
    // The engine-only rows block this process for a minute: they run before any connection
    // exists, since a client that misses the daemon's pings for 30 s is dropped.
    const engineRows = [...decodingModes(decoder, recordings), ...segmenters(decoder, recordings)];
    const daemon = await startDaemon();
    const client = await daemon.connect();
    try {
      // Both decoders hear the same audio in the same order (one warm-up recording first), so
      // their transcripts can be compared word for word; the two paths alternate recording by
      // recording, and each keeps its faster of two rounds, so other load on the machine
      // weighs on both alike.
      decodeAll(decoder, goForward());
      await throughDaemon(client, goForward());
      const alone = { texts: [] as string[], seconds: Array<number>(recordings.length).fill(Infinity) };
      const ours = { texts: [] as string[], seconds: Array<number>(recordings.length).fill(Infinity) };
      for (const round of [0, 1]) {
        for (const [index, recording] of recordings.entries()) {
          let started = performance.now();
          const direct = decodeAll(decoder, recording.pcm);
          alone.seconds[index] = Math.min(alone.seconds[index]!, (performance.now() - started) / 1000);
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
        atMost(`WER, ${recordings.length} testdata recordings: daemon vs engine alone`, '%', errorRate(recordings, ours.texts), errorRate(recordings, alone.texts), 1.05),
        atMost('real-time factor, whole path vs engine alone (sent as fast as decoded)', 'xRT', sum(ours.seconds) / audioSeconds, aloneSeconds / audioSeconds, 1.15),
      );

      rows.push(...engineRows);
      const latencies: number[] = [];
      const aloneLatencies: number[] = [];
      for (const recording of recordings) {
        latencies.push((await pacedLatency(client, recording.pcm)).stopMs);
        aloneLatencies.push(decodeAll(decoder, recording.pcm).lastChunkToFinalMs);
      }
      const sortedLatencies = [...latencies].sort((a, b) => a - b);
      const sortedAlone = [...aloneLatencies].sort((a, b) => a - b);
      rows.push(
        atMost("final latency, last chunk → final, real-time stream vs the engine's own full-utterance decode (p50)", 'ms', percentile(sortedLatencies, 50), percentile(sortedAlone, 50), 1.3),
        atMost("final latency, last chunk → final, real-time stream vs the engine's own full-utterance decode (p95)", 'ms', percentile(sortedLatencies, 95), percentile(sortedAlone, 95), 1.3),
      );

      const prober = await daemon.connect();
      const idle = await probeSessionsList(prober, () => false, 200);
      const streams = await Promise.all(Array.from({ length: CONCURRENT_STREAMS }, () => daemon.connect()));
      // People pause between turns, and a stream ends after its speaker stops: the recordings
      // with 1 s pauses, each stream starting at another recording, so every stream's lag at
      // the end is backlog rather than the full decode of an utterance cut off mid-word.
      const meeting = meetingStyle(recordings);
      const longAudio = Buffer.from(meeting.pcm.buffer, meeting.pcm.byteOffset, meeting.pcm.byteLength);
      const cpuBefore = cpuSeconds(daemon.pid);
      let running = true;
      const streamAudios = streams.map((_, index) => rotate(longAudio, meeting.starts[(index * 3) % meeting.starts.length]! * 2));
      const streaming = Promise.all(streams.map((stream, index) => pacedLatency(stream, streamAudios[index]!))).finally(() => (running = false));
      const [busy, streamed] = await Promise.all([probeSessionsList(prober, () => !running, Infinity), streaming]);
      const coresUsed = (cpuSeconds(daemon.pid) - cpuBefore) / (longAudio.length / BYTES_PER_SECOND);
      const single = await pacedLatency(client, longAudio);
      rows.push(
        underLimit(`${CONCURRENT_STREAMS} concurrent real-time streams: daemon CPU per second of audio (vs ${CONCURRENT_STREAMS}× engine alone)`, 'cores', coresUsed, (CONCURRENT_STREAMS * aloneSeconds) / audioSeconds, 2),
        underLimit(`${CONCURRENT_STREAMS} concurrent real-time streams (${Math.round(longAudio.length / BYTES_PER_SECOND)} s each): worst backlog at end`, 'ms', Math.max(...streamed.map((lag) => lag.stopMs)), single.stopMs, 1000),
        reported(`${CONCURRENT_STREAMS} concurrent real-time streams: worst live-pass lag (speech_end behind its audio) vs one stream`, 'ms', Math.max(...streamed.map((lag) => lag.speechEndMs)), single.speechEndMs),
        atMost(`sessions.list p99 during ${CONCURRENT_STREAMS} streams vs idle`, 'ms', summarize(busy).p99, summarize(idle).p99, 3),
        reported(`sessions.list p50 during ${CONCURRENT_STREAMS} streams vs idle`, 'ms', summarize(busy).p50, summarize(idle).p50),
      );
      for (const stream of [...streams, prober]) stream.close();
      const engineLags = await engineAlonePaced(streamAudios);
      rows.push(reported(`${CONCURRENT_STREAMS} concurrent real-time streams: worst backlog at end, daemon vs the engine alone (its own threads in this process, same audio)`, 'ms', Math.max(...streamed.map((lag) => lag.stopMs)), Math.max(...engineLags)));

      const capacityRecordings = meeting.starts.findIndex((start) => start * 2 >= CAPACITY_AUDIO_SECONDS * BYTES_PER_SECOND);
      const capacityAudio = meetingStyle(recordings.slice(0, capacityRecordings === -1 ? recordings.length : capacityRecordings));
      const sustained = await sustainedStreams(capacityAudio, async (audios) => {
        const clients = await Promise.all(audios.map(() => daemon.connect()));
        try {
          return await Promise.all(clients.map(async (stream, index) => (await pacedLatency(stream, audios[index]!)).stopMs));
        } finally {
          for (const stream of clients) stream.close();
        }
      });
      const engineAlone = await sustainedStreams(capacityAudio, engineAlonePaced);
      // Without sockets, an event loop or a final decode to wait for, the cores over the engine's CPU per second of audio.
      const ceiling = Math.floor(CORES / (aloneSeconds / audioSeconds));
      const capacitySeconds = Math.round(capacityAudio.pcm.length / ENGINE_RATE);
      rows.push(
        reported(`real-time streams sustained before worst backlog at end > ${BACKLOG_LIMIT_MS} ms (${capacitySeconds} s each): daemon vs the engine alone, same test`, 'streams', sustained, engineAlone),
        reported(`real-time streams sustained: daemon vs the CPU ceiling (${CORES} cores ÷ the engine's CPU per audio second)`, 'streams', sustained, ceiling),
      );
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
 * Adds streams in steps until one step's worst backlog at end passes the limit; returns the
 * last count that stayed under it. `run` streams each audio at real-time pace and returns each one's lag.
 */
async function sustainedStreams(meeting: { pcm: Int16Array; starts: number[] }, run: (audios: Buffer[]) => Promise<number[]>): Promise<number> {
  const audio = Buffer.from(meeting.pcm.buffer, meeting.pcm.byteOffset, meeting.pcm.byteLength);
  let sustained = 0;
  for (let count = CAPACITY_STEP; count <= CAPACITY_LIMIT; count += CAPACITY_STEP) {
    const lags = await run(Array.from({ length: count }, (_, index) => rotate(audio, meeting.starts[index % meeting.starts.length]! * 2)));
    process.stderr.write(`  ${count} streams: worst backlog ${Math.round(Math.max(...lags))} ms\n`);
    if (Math.max(...lags) > BACKLOG_LIMIT_MS) break;
    sustained = count;
  }
  return sustained;
}

/**
 * The engine without the daemon: PocketSphinx with the daemon's own thread rule, in this
 * process, each audio written at real-time pace; returns each stream's ms from its last
 * frame to its last final.
 */
async function engineAlonePaced(audios: Buffer[]): Promise<number[]> {
  const engine = defaultEngines({}).find((candidate) => candidate.id === 'local')!;
  try {
    const streams = await Promise.all(audios.map(() => engine.open({ sampleRate: ENGINE_RATE, channels: 1, partials: true, mode: 'live' }, () => undefined)));
    return await Promise.all(streams.map((stream, index) => pacedWrites(stream, audios[index]!)));
  } finally {
    await engine.close();
  }
}

async function pacedWrites(stream: SttStream, pcm: Buffer): Promise<number> {
  const startedAt = performance.now();
  const writes: Promise<void>[] = [];
  for (let offset = 0; offset < pcm.length; offset += FRAME_BYTES) {
    const due = startedAt + (offset / BYTES_PER_SECOND) * 1000 - performance.now();
    if (due > 0) await sleep(due);
    writes.push(stream.write(pcm.subarray(offset, offset + FRAME_BYTES)));
  }
  const lastSent = performance.now();
  await Promise.all(writes);
  await stream.end();
  return performance.now() - lastSent;
}

/** The engine without the daemon: the same segmenter and decoder calls, in this thread. */
function decodeAll(decoder: OwnedDecoder, pcm: Buffer): { text: string; lastChunkToFinalMs: number } {
  const finals: string[] = [];
  const segmenter = new UtteranceSegmenter(decoder, true, (event) => {
    if (event.type === 'transcript') finals.push(event.text);
  });
  const samples = new Int16Array(pcm.buffer.slice(pcm.byteOffset, pcm.byteOffset + pcm.length));
  const lastChunk = Math.floor((samples.length - 1) / (FRAME_BYTES / 2)) * (FRAME_BYTES / 2);
  segmenter.process(samples.subarray(0, lastChunk));
  const started = performance.now();
  segmenter.process(samples.subarray(lastChunk));
  segmenter.flush();
  return { text: finals.join(' '), lastChunkToFinalMs: performance.now() - started };
}

/** The same decoder with finals taken from the finals' own search run live (how finals were made before full-utterance decoding). */
function livePassOnly(decoder: OwnedDecoder): OwnedDecoder {
  return {
    ...decoder,
    startUtterance: () => decoder.startUtteranceOnFinalSearch(),
    decodeUtterance: () => {
      decoder.endUtterance();
      return decoder.hypothesis();
    },
  };
}

/** WER and real-time factor of finals from the live pass vs from a full-utterance decode, same segmentation. */
function decodingModes(decoder: OwnedDecoder, recordings: Recording[]): BenchRow[] {
  const audioSeconds = sum(recordings.map((recording) => recording.pcm.length / BYTES_PER_SECOND));
  const run = (mode: OwnedDecoder) => {
    const cpuBefore = process.cpuUsage();
    const texts = recordings.map((recording) => decodeAll(mode, recording.pcm).text);
    const cpu = process.cpuUsage(cpuBefore);
    return { wer: errorRate(recordings, texts), rtf: (cpu.user + cpu.system) / 1e6 / audioSeconds };
  };
  const live = run(livePassOnly(decoder));
  const full = run(decoder);
  return [
    reported(`WER, ${recordings.length} testdata recordings: finals from a full-utterance decode vs from the live pass`, '%', full.wer, live.wer),
    reported('engine CPU per second of audio (real-time factor): full-utterance finals vs live pass only', 'xRT', full.rtf, live.rtf),
  ];
}

/** The testdata recordings as one meeting: each followed by a pause, as people take turns; `starts` are the recordings' first samples. */
function meetingStyle(recordings: Recording[]): { pcm: Int16Array; reference: string; starts: number[] } {
  const pause = new Int16Array(16000);
  const starts: number[] = [];
  let offset = 0;
  for (const recording of recordings) {
    starts.push(offset);
    offset += recording.pcm.length / 2 + pause.length;
  }
  return { pcm: concatSamples(recordings.flatMap((recording) => [samplesOf(recording.pcm), pause])), reference: recordings.map((recording) => recording.reference).join(' '), starts };
}

/**
 * Segmentation by PocketSphinx's own detector (the live pass) vs Silero VAD, both with
 * full-utterance finals, on a meeting-style recording: WER, and how long after an
 * utterance's end (in audio) it was closed.
 */
function segmenters(decoder: OwnedDecoder, recordings: Recording[]): BenchRow[] {
  const meeting = meetingStyle(recordings);
  const sphinxTexts: string[] = [];
  const sphinxDelays: number[] = [];
  let heardMs = 0;
  const segmenter = new UtteranceSegmenter(decoder, false, (event) => {
    if (event.type === 'speech_end') sphinxDelays.push(heardMs - event.at_ms);
    if (event.type === 'transcript') sphinxTexts.push(event.text);
  });
  for (let offset = 0; offset < meeting.pcm.length; offset += 1600) {
    heardMs = ((offset + 1600) * 1000) / 16000;
    segmenter.process(meeting.pcm.subarray(offset, offset + 1600));
  }
  segmenter.flush();

  const silero = new SileroSegmenter(SILERO_MODEL);
  const sileroTexts: string[] = [];
  const sileroDelays: number[] = [];
  decoder.startStream();
  for (let offset = 0; offset < meeting.pcm.length; offset += 1600) {
    for (const segment of silero.push(meeting.pcm.subarray(offset, offset + 1600))) {
      sileroDelays.push(((offset + 1600 - segment.start - segment.samples.length) * 1000) / 16000);
      sileroTexts.push(decoder.decodeUtterance(Int16Array.from(segment.samples, (value) => Math.round(value * 32767))) ?? '');
    }
  }
  for (const segment of silero.flush()) sileroTexts.push(decoder.decodeUtterance(Int16Array.from(segment.samples, (value) => Math.round(value * 32767))) ?? '');
  const wer = (texts: string[]) => {
    const counted = wordErrors(meeting.reference, texts.join(' '));
    return (100 * counted.errors) / counted.words;
  };
  return [
    reported(`WER, ${recordings.length} recordings joined with 1 s pauses: Silero VAD segments vs PocketSphinx's detector (full-utterance finals both)`, '%', wer(sileroTexts), wer(sphinxTexts)),
    reported('utterance closed after its end (audio ms, mean): Silero VAD vs PocketSphinx detector', 'ms', summarize(sileroDelays).mean, summarize(sphinxDelays).mean),
  ];
}

/** What `car voice transcribe` does without --stream. */
function throughDaemon(client: CarClient, pcm: Buffer) {
  return transcribe(client, { sampleRate: 16000, channels: 1, pcm: (async function* () { yield pcm; })() }, { realtime: false, partials: true, onEvent: () => undefined });
}

/**
 * Streams at real-time pace. `stopMs`: from sending the last frame to the stop result (every
 * final delivered). `speechEndMs`: the worst delay of a `speech_end` behind the audio that
 * revealed it, i.e. how far the live pass fell behind.
 */
async function pacedLatency(client: CarClient, pcm: Buffer): Promise<{ stopMs: number; speechEndMs: number }> {
  const { session_id } = await client.call('voice.transcribe_stream.start', {});
  const events: VoiceEvent[] = [];
  let speechEndMs = 0;
  const startedAt = performance.now();
  const unsubscribe = client.on('voice.event', (params) => {
    if (params.session_id !== session_id) return;
    events.push(params.event);
    // A window closes on the frame whose audio ends a sentence pause after its speech (issue 22); that frame was sent one frame's length before its end.
    if (params.event.type === 'speech_end') speechEndMs = Math.max(speechEndMs, performance.now() - (startedAt + params.event.at_ms + LIVE_WINDOWS.sentencePauseMs - FRAME_MS));
  });
  let seq = 0;
  for (let offset = 0; offset < pcm.length; offset += FRAME_BYTES) {
    const due = startedAt + (offset / BYTES_PER_SECOND) * 1000 - performance.now();
    if (due > 0) await sleep(due);
    client.sendBinary(encodeVoiceFrame(session_id, seq++, pcm.subarray(offset, offset + FRAME_BYTES)));
  }
  const lastSent = performance.now();
  await client.call('voice.transcribe_stream.stop', { session_id });
  unsubscribe();
  if (events.some((event) => event.type === 'error')) throw new Error(`voice session failed: ${JSON.stringify(events.find((event) => event.type === 'error'))}`);
  return { stopMs: performance.now() - lastSent, speechEndMs };
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

function errorRate(recordings: Recording[], texts: string[]): number {
  let errors = 0;
  let words = 0;
  recordings.forEach((recording, index) => {
    const counted = wordErrors(recording.reference, texts[index]!);
    errors += counted.errors;
    words += counted.words;
  });
  return (100 * errors) / words;
}

/** The same audio started at another point, so concurrent streams do not decode identical chunks in lockstep. */
const rotate = (pcm: Buffer, offset: number) => Buffer.concat([pcm.subarray(offset), pcm.subarray(0, offset)]);
