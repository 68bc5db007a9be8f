import { createRequire } from 'node:module';
import { toFloat32 } from '../../../audio/frames.js';
import { ENGINE_SAMPLE_RATE } from './stream-worker.js';

/** The file name Silero VAD is looked up under in the models directory. */
export const SILERO_VAD_FILE = 'silero_vad.onnx';
/** Silero takes 512-sample windows at 16 kHz (32 ms). */
const WINDOW_SAMPLES = 512;
/** An utterance is closed this long into a pause, or at most this long, bounding memory and the final's delay. */
const MIN_SILENCE_S = 0.5;
const MIN_SPEECH_S = 0.25;
export const MAX_SPEECH_S = 30;

interface SherpaVad {
  acceptWaveform(samples: Float32Array): void;
  isEmpty(): boolean;
  isDetected(): boolean;
  front(enableExternalBuffer?: boolean): { start: number; samples: Float32Array };
  pop(): void;
  flush(): void;
}

/** One finished utterance: where it starts in the stream (samples) and its audio. */
export interface SpeechSegment {
  start: number;
  samples: Float32Array;
}

/**
 * Silero VAD (through sherpa-onnx) over one 16 kHz stream: feed samples, collect finished
 * speech segments; `speaking` says whether an utterance is open right now.
 */
export class SileroSegmenter {
  private readonly vad: SherpaVad;

  constructor(modelPath: string) {
    const { Vad } = createRequire(import.meta.url)('sherpa-onnx-node') as { Vad: new (config: object, bufferSeconds: number) => SherpaVad };
    this.vad = new Vad(
      {
        sileroVad: {
          model: modelPath,
          threshold: 0.5,
          minSilenceDuration: MIN_SILENCE_S,
          minSpeechDuration: MIN_SPEECH_S,
          windowSize: WINDOW_SAMPLES,
          maxSpeechDuration: MAX_SPEECH_S,
        },
        sampleRate: ENGINE_SAMPLE_RATE,
        numThreads: 1,
        debug: false,
      },
      MAX_SPEECH_S * 2,
    );
  }

  get speaking(): boolean {
    return this.vad.isDetected();
  }

  push(samples: Int16Array): SpeechSegment[] {
    this.vad.acceptWaveform(toFloat32(samples));
    return this.drain();
  }

  /** The end of the stream: an open utterance is closed. */
  flush(): SpeechSegment[] {
    this.vad.flush();
    return this.drain();
  }

  private drain(): SpeechSegment[] {
    const segments: SpeechSegment[] = [];
    while (!this.vad.isEmpty()) {
      const { start, samples } = this.vad.front(false);
      segments.push({ start, samples: Float32Array.from(samples) });
      this.vad.pop();
    }
    return segments;
  }
}
