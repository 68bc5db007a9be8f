import { createRequire } from 'node:module';
import { workerData } from 'node:worker_threads';
import { concatSamples, toFloat32 } from '../../../../audio/frames.js';
import { EngineLoadFailure } from '../engine-record.js';
import { SileroSegmenter, type SpeechSegment } from '../silero-vad.js';
import { ENGINE_SAMPLE_RATE, serveStreams } from '../stream-worker.js';
import { whisperModelProblem } from './model-file.js';

/**
 * The whisper.cpp worker thread: one loaded model shared by its streams (decodes run one at
 * a time, each on `decodeThreads` threads). Silero VAD cuts utterances; each one's final is
 * a whisper decode of the whole utterance; partials re-decode the open utterance's last
 * `PARTIAL_WINDOW_S` about once a second of audio.
 */

export interface WhisperWorkerConfig {
  model: string;
  vad: string;
  decodeThreads: number;
}

const PARTIAL_EVERY_SAMPLES = ENGINE_SAMPLE_RATE;
const PARTIAL_WINDOW_SAMPLES = 10 * ENGINE_SAMPLE_RATE;
/** Audio kept while nobody speaks, so a partial can start from the utterance's onset. */
const PRE_ROLL_SAMPLES = ENGINE_SAMPLE_RATE / 2;
/** Silero reports speech once it has lasted its minimum duration. */
const SPEECH_ONSET_SAMPLES = ENGINE_SAMPLE_RATE / 4;

interface WhisperBinding {
  Whisper: new (model: string) => { full(params: object, samples: Float32Array): string };
  WhisperFullParams: new (strategy: number) => Record<string, unknown>;
  WhisperSamplingStrategy: { Greedy: number };
}

const config = workerData as WhisperWorkerConfig;
let binding: WhisperBinding | null = null;
let model: InstanceType<WhisperBinding['Whisper']> | null = null;

function loadedModel() {
  if (model) return model;
  // A thread that has loaded @napi-rs/whisper (0.0.4) but holds no model crashes the whole
  // process when it is terminated, so the addon is loaded only once the file looks loadable.
  const problem = whisperModelProblem(config.model);
  if (problem) throw new EngineLoadFailure('model', `whisper could not load its model ${config.model}: ${problem}`);
  binding ??= createRequire(import.meta.url)('@napi-rs/whisper') as WhisperBinding;
  try {
    model = new binding.Whisper(config.model);
  } catch (error) {
    throw new EngineLoadFailure('model', `whisper could not load its model ${config.model}: ${(error as Error).message}`, { cause: error });
  }
  return model;
}

function transcribe(samples: Float32Array): string {
  const whisper = loadedModel();
  const params = new binding!.WhisperFullParams(binding!.WhisperSamplingStrategy.Greedy);
  Object.assign(params, {
    nThreads: config.decodeThreads,
    language: 'en',
    noTimestamps: true,
    singleSegment: true,
    printProgress: false,
    printRealtime: false,
    printTimestamps: false,
    printSpecial: false,
  });
  return whisper.full(params, samples).trim();
}

serveStreams(({ partials }, emit) => {
  loadedModel();
  const vad = new SileroSegmenter(config.vad);
  let samplesDone = 0;
  let open = false;
  let segmentIndex = 0;
  let lastPartialAt = 0;
  let lastPartial = '';
  /** Recent audio: the open utterance's last window, or the pre-roll between utterances. */
  let recent: Int16Array[] = [];
  let recentSamples = 0;
  const ms = (samples: number) => Math.round((samples * 1000) / ENGINE_SAMPLE_RATE);

  const finish = (segments: SpeechSegment[]) => {
    for (const segment of segments) {
      const startMs = ms(segment.start);
      const endMs = ms(segment.start + segment.samples.length);
      if (!open) emit({ type: 'speech_start', at_ms: startMs });
      emit({ type: 'speech_end', at_ms: endMs });
      const text = transcribe(segment.samples);
      if (text)
        emit({ type: 'transcript', text, duration_ms: endMs - startMs, role: 'unknown', segment_index: segmentIndex++, start_ms: startMs, end_ms: endMs });
      open = false;
      lastPartial = '';
      recent = [];
      recentSamples = 0;
    }
  };

  const remember = (samples: Int16Array) => {
    recent.push(samples.slice());
    recentSamples += samples.length;
    const keep = open ? PARTIAL_WINDOW_SAMPLES : PRE_ROLL_SAMPLES;
    while (recentSamples - recent[0]!.length >= keep) recentSamples -= recent.shift()!.length;
  };

  const partial = () => {
    lastPartialAt = samplesDone;
    const text = transcribe(toFloat32(concatSamples(recent)));
    if (!text || text === lastPartial) return;
    lastPartial = text;
    emit({ type: 'partial', text, segment_index: segmentIndex });
  };

  return {
    write(samples) {
      const finished = vad.push(samples);
      samplesDone += samples.length;
      finish(finished);
      remember(samples);
      if (!open && vad.speaking) {
        open = true;
        lastPartialAt = samplesDone;
        emit({ type: 'speech_start', at_ms: ms(Math.max(0, samplesDone - SPEECH_ONSET_SAMPLES)) });
      }
      if (open && partials && samplesDone - lastPartialAt >= PARTIAL_EVERY_SAMPLES) partial();
    },
    end() {
      finish(vad.flush());
    },
    release() {
      // The model stays loaded for the thread's next stream; the VAD goes with this one.
    },
  };
});
