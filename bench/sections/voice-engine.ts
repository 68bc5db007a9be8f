import { join } from 'node:path';
import { DEFAULT_MODEL_DIR, createDecoder, sphinxModel, type OwnedDecoder } from '../../src/daemon/voice/engines/sphinx/addon.js';
import { UtteranceSegmenter } from '../../src/daemon/voice/engines/sphinx/segmenter.js';
import { SileroSegmenter } from '../../src/daemon/voice/engines/silero-vad.js';
import { engineMissing, recordingsWithReferences, wordErrors, type Recording } from '../../test/daemon/voice/recordings.js';
import { SHARED_MODELS } from '../../test/helpers/paths.js';
import { reported, summarize, type BenchRow, type BenchSection } from '../harness.js';
import { audioSeconds, decodeAll, errorRate, meetingStyle } from '../support/speech.js';

/** The real Silero VAD model of the shared models directory (never copied into the project). */
const SILERO_MODEL = join(SHARED_MODELS, 'silero_vad.onnx');

/**
 * Issue 13's engine-only rows, PocketSphinx driven in this thread: finals from a
 * full-utterance decode vs from the live pass, and PocketSphinx's detector vs Silero VAD.
 * Every figure is a word count, an audio position or this process's CPU time, never wall
 * time, so the runner lets unmeasured preparation use the other core meanwhile.
 */
const section: BenchSection = {
  name: 'voice-engine',
  sharesCores: true,
  async run() {
    if (engineMissing) throw new Error(`the voice bench needs the speech engine: ${engineMissing}`);
    const recordings = recordingsWithReferences();
    const decoder = createDecoder(sphinxModel(DEFAULT_MODEL_DIR));
    try {
      return [...decodingModes(decoder, recordings), ...segmenters(decoder, recordings)];
    } finally {
      decoder.free();
    }
  },
};
export default section;

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
  const seconds = audioSeconds(recordings);
  const run = (mode: OwnedDecoder) => {
    const cpuBefore = process.cpuUsage();
    const texts = recordings.map((recording) => decodeAll(mode, recording.pcm).text);
    const cpu = process.cpuUsage(cpuBefore);
    return { wer: errorRate(recordings, texts), rtf: (cpu.user + cpu.system) / 1e6 / seconds };
  };
  const live = run(livePassOnly(decoder));
  const full = run(decoder);
  return [
    reported(`WER, ${recordings.length} testdata recordings: finals from a full-utterance decode vs from the live pass`, '%', full.wer, live.wer),
    reported('engine CPU per second of audio (real-time factor): full-utterance finals vs live pass only', 'xRT', full.rtf, live.rtf),
  ];
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
    reported(
      `WER, ${recordings.length} recordings joined with 1 s pauses: Silero VAD segments vs PocketSphinx's detector (full-utterance finals both)`,
      '%',
      wer(sileroTexts),
      wer(sphinxTexts),
    ),
    reported(
      'utterance closed after its end (audio ms, mean): Silero VAD vs PocketSphinx detector',
      'ms',
      summarize(sileroDelays).mean,
      summarize(sphinxDelays).mean,
    ),
  ];
}
