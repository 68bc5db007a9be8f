import type { VoiceEvent } from '../../src/protocol/voice.js';
import type { SttEngine, SttStream, SttStreamOptions } from '../../src/daemon/voice/stt-engine.js';

const BYTES_PER_SAMPLE = 2;

export interface ScriptedEngine extends SttEngine {
  /** Holds every recording-mode stream (a meeting's final pass) at its end until `releaseRecordings()`. */
  holdRecordings(): void;
  releaseRecordings(): void;
  /** Recording-mode streams opened so far (final passes and file decodes). */
  readonly recordingsOpened: number;
}

/**
 * A speech engine for the registry's own logic, not for speech: it hears one line per whole
 * second of audio, `second <n>`, stamped with that second. The same audio gives the same
 * lines however it is chunked, so a meeting's live transcript and its final pass agree, and a
 * test knows what a meeting holds from how much it pushed. The real engines have their own
 * tests on real audio.
 */
export function scriptedEngine(id = 'scripted'): ScriptedEngine {
  let open = 0;
  let recordingsOpened = 0;
  let hold: { promise: Promise<void>; release: () => void } | null = null;
  return {
    id,
    description: 'one line per second of audio (tests)',
    languages: ['en'],
    availability: () => ({ available: true }),
    preferred: () => true,
    openStreams: () => open,
    close: async () => undefined,
    get recordingsOpened() {
      return recordingsOpened;
    },
    holdRecordings() {
      let release!: () => void;
      const promise = new Promise<void>((resolve) => (release = resolve));
      hold = { promise, release };
    },
    releaseRecordings() {
      hold?.release();
      hold = null;
    },
    async open(options: SttStreamOptions, onEvent: (event: VoiceEvent) => void): Promise<SttStream> {
      open++;
      const recording = options.mode === 'recording';
      if (recording) recordingsOpened++;
      const bytesPerSecond = options.sampleRate * options.channels * BYTES_PER_SAMPLE;
      let bytes = 0;
      let heard = 0;
      let closed = false;
      const close = () => {
        if (!closed) open--;
        closed = true;
      };
      return {
        async write(pcm) {
          if (closed) return;
          bytes += pcm.length;
          for (; heard < Math.floor(bytes / bytesPerSecond); heard++) {
            const startMs = heard * 1000;
            onEvent({
              type: 'transcript',
              text: `second ${heard + 1}`,
              duration_ms: 1000,
              role: 'unknown',
              segment_index: heard,
              start_ms: startMs,
              end_ms: startMs + 1000,
            });
          }
        },
        async end() {
          if (recording) await hold?.promise;
          close();
        },
        discard: close,
      };
    },
  };
}

/** `seconds` of 16 kHz mono silence as base64, what `voice.transcribe_stream.push` takes: the scripted engine hears one line per second. */
export const pushedSeconds = (seconds: number): string => Buffer.alloc(16_000 * BYTES_PER_SAMPLE * seconds).toString('base64');
