import { concatSamples, samplesOf } from '../../src/audio/frames.js';
import type { OwnedDecoder } from '../../src/daemon/voice/engines/sphinx/addon.js';
import { UtteranceSegmenter } from '../../src/daemon/voice/engines/sphinx/segmenter.js';
import { wordErrors, type Recording } from '../../test/daemon/voice/recordings.js';

/** Shared by the voice sections: 16 kHz mono s16le audio, 100 ms frames, the engine driven in this thread. */

export const BYTES_PER_SECOND = 32000;
export const FRAME_BYTES = BYTES_PER_SECOND / 10;
export const FRAME_MS = (FRAME_BYTES / BYTES_PER_SECOND) * 1000;

export const sum = (values: number[]) => values.reduce((total, value) => total + value, 0);

export const audioSeconds = (recordings: Recording[]) => sum(recordings.map((recording) => recording.pcm.length / BYTES_PER_SECOND));

/** The engine without the daemon: the same segmenter and decoder calls, in this thread. */
export function decodeAll(decoder: OwnedDecoder, pcm: Buffer): { text: string; lastChunkToFinalMs: number } {
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

/** The testdata recordings as one meeting: each followed by a pause, as people take turns; `starts` are the recordings' first samples. */
export function meetingStyle(recordings: Recording[]): { pcm: Int16Array; reference: string; starts: number[] } {
  const pause = new Int16Array(16000);
  const starts: number[] = [];
  let offset = 0;
  for (const recording of recordings) {
    starts.push(offset);
    offset += recording.pcm.length / 2 + pause.length;
  }
  return {
    pcm: concatSamples(recordings.flatMap((recording) => [samplesOf(recording.pcm), pause])),
    reference: recordings.map((recording) => recording.reference).join(' '),
    starts,
  };
}

/** Word error rate (%) of `texts` against the recordings' references, over all their words. */
export function errorRate(recordings: Recording[], texts: string[]): number {
  let errors = 0;
  let words = 0;
  recordings.forEach((recording, index) => {
    const counted = wordErrors(recording.reference, texts[index]!);
    errors += counted.errors;
    words += counted.words;
  });
  return (100 * errors) / words;
}
