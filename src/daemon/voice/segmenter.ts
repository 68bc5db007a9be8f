import type { VoiceEvent } from '../../protocol/voice.js';

/** What the segmenter needs of a decoder: PocketSphinx's streaming calls, bound to one decoder. */
export interface StreamingDecoder {
  startUtterance(): void;
  /** Feeds 16 kHz mono samples; returns whether the voice-activity detector hears speech. */
  process(samples: Int16Array): boolean;
  /** The partial hypothesis inside an utterance, the final one after `endUtterance`. */
  hypothesis(): string | null;
  endUtterance(): void;
}

export const ENGINE_SAMPLE_RATE = 16000;
/** Decoding step: partials and speech boundaries are checked this often. */
const STEP_SAMPLES = ENGINE_SAMPLE_RATE / 10;
/** PocketSphinx's detector reports speech after 10 frames of it and silence after 50 (`-vad_startspeech`, `-vad_postspeech`). */
const SPEECH_START_DELAY_MS = 100;
const SPEECH_END_DELAY_MS = 500;

/**
 * Splits one stream into utterances on the detector's silences, with one decoder kept
 * for the whole stream (it adapts to the speaker and channel as it goes, so later
 * utterances decode better than the first). Emits `speech_start`, `partial`,
 * `speech_end` and `transcript` events in order; times are in ms of the stream's audio.
 */
export class UtteranceSegmenter {
  private samplesDone = 0;
  private inUtterance = false;
  private utteranceStartMs = 0;
  private lastEndMs = 0;
  private lastPartial: string | null = null;
  private segmentIndex = 0;
  /** Samples short of a whole step, decoded with the next chunk so steps never depend on how audio was chunked. */
  private pending = new Int16Array(0);

  constructor(
    private readonly decoder: StreamingDecoder,
    private readonly partials: boolean,
    private readonly emit: (event: VoiceEvent) => void,
  ) {
    decoder.startUtterance();
  }

  get audioMs(): number {
    return Math.round((this.samplesDone * 1000) / ENGINE_SAMPLE_RATE);
  }

  process(samples: Int16Array): void {
    let input = samples;
    if (this.pending.length) {
      input = new Int16Array(this.pending.length + samples.length);
      input.set(this.pending);
      input.set(samples, this.pending.length);
    }
    let offset = 0;
    for (; offset + STEP_SAMPLES <= input.length; offset += STEP_SAMPLES) this.step(input.subarray(offset, offset + STEP_SAMPLES));
    this.pending = input.slice(offset);
  }

  /** Ends the stream: the open utterance, if any, becomes its final transcript. */
  flush(): void {
    if (this.pending.length) this.step(this.pending);
    this.pending = new Int16Array(0);
    if (this.inUtterance) this.finishUtterance(this.audioMs);
    else this.decoder.endUtterance();
  }

  private step(samples: Int16Array): void {
    const speech = this.decoder.process(samples);
    this.samplesDone += samples.length;
    const now = this.audioMs;
    if (speech && !this.inUtterance) {
      this.inUtterance = true;
      this.utteranceStartMs = Math.max(this.lastEndMs, now - SPEECH_START_DELAY_MS);
      this.emit({ type: 'speech_start', at_ms: this.utteranceStartMs });
    }
    if (!this.inUtterance) return;
    if (speech) {
      if (this.partials) this.emitPartial();
      return;
    }
    this.finishUtterance(Math.max(this.utteranceStartMs, now - SPEECH_END_DELAY_MS));
    this.decoder.startUtterance();
  }

  private emitPartial(): void {
    const text = this.decoder.hypothesis();
    if (text === null || text === this.lastPartial) return;
    this.lastPartial = text;
    this.emit({ type: 'partial', text, segment_index: this.segmentIndex });
  }

  private finishUtterance(endMs: number): void {
    this.decoder.endUtterance();
    this.inUtterance = false;
    this.lastPartial = null;
    this.lastEndMs = endMs;
    this.emit({ type: 'speech_end', at_ms: endMs });
    const text = this.decoder.hypothesis();
    if (text === null) return;
    const startMs = this.utteranceStartMs;
    this.emit({ type: 'transcript', text, duration_ms: endMs - startMs, role: 'unknown', segment_index: this.segmentIndex++, start_ms: startMs, end_ms: endMs });
  }
}
