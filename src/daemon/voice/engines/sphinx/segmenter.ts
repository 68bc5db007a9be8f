import { FrameSplitter, concatSamples } from '../../../../audio/frames.js';
import type { VoiceEvent } from '../../../../protocol/voice.js';
import { ENGINE_SAMPLE_RATE } from '../stream-worker.js';

/** What the segmenter needs of a decoder: PocketSphinx's calls, bound to one decoder. */
export interface StreamingDecoder {
  /** Back to the state the model loaded with, so earlier streams leave no trace. */
  startStream(): void;
  startUtterance(): void;
  /** Feeds 16 kHz mono samples to the live pass; returns whether the voice-activity detector hears speech. */
  process(samples: Int16Array): boolean;
  /** The live pass's partial hypothesis. */
  hypothesis(): string | null;
  endUtterance(): void;
  /** Decodes a whole utterance in one pass (batch CMN over the utterance): the accurate final. */
  decodeUtterance(samples: Int16Array): string | null;
}

/** Decoding step: partials and speech boundaries are checked this often. */
const STEP_SAMPLES = ENGINE_SAMPLE_RATE / 10;
/** PocketSphinx's detector reports speech after 10 frames of it and silence after 50 (`-vad_startspeech`, `-vad_postspeech`). */
const SPEECH_START_DELAY_MS = 100;
export const SPEECH_END_DELAY_MS = 500;
/** Audio kept from before the detector reports speech, so the final decode hears the utterance's onset. */
const PRE_ROLL_SAMPLES = ENGINE_SAMPLE_RATE;
/** An utterance this long is closed even without a pause, bounding memory and the final's delay. */
export const MAX_UTTERANCE_SAMPLES = 30 * ENGINE_SAMPLE_RATE;

/**
 * Splits one stream into utterances on the detector's silences. The live pass gives the
 * boundaries and the partials; each utterance's audio is kept and decoded once more, whole,
 * when it ends, and that decode is the final (a live pass only ever sees the past, and its
 * running cepstral mean lags the speaker: on the testdata the full decode roughly halves
 * the errors). Emits `speech_start`, `partial`, `speech_end` and `transcript` in order;
 * times are in ms of the stream's audio.
 */
export class UtteranceSegmenter {
  private samplesDone = 0;
  private inUtterance = false;
  private utteranceStartMs = 0;
  private lastEndMs = 0;
  private lastPartial: string | null = null;
  private segmentIndex = 0;
  private readonly steps = new FrameSplitter(STEP_SAMPLES);
  /** The open utterance's audio (or, between utterances, the most recent pre-roll). */
  private heard: Int16Array[] = [];
  private heardSamples = 0;

  constructor(
    private readonly decoder: StreamingDecoder,
    private readonly partials: boolean,
    private readonly emit: (event: VoiceEvent) => void,
  ) {
    decoder.startStream();
    decoder.startUtterance();
  }

  get audioMs(): number {
    return Math.round((this.samplesDone * 1000) / ENGINE_SAMPLE_RATE);
  }

  process(samples: Int16Array): void {
    for (const step of this.steps.push(samples)) this.step(step);
  }

  /** Ends the stream: the open utterance, if any, becomes its final transcript. */
  flush(): void {
    const rest = this.steps.drain();
    if (rest.length) this.step(rest);
    if (this.inUtterance) this.finishUtterance(this.audioMs);
    else this.decoder.endUtterance();
  }

  private step(samples: Int16Array): void {
    const speech = this.decoder.process(samples);
    this.samplesDone += samples.length;
    this.remember(samples);
    const now = this.audioMs;
    if (speech && !this.inUtterance) {
      this.inUtterance = true;
      this.utteranceStartMs = Math.max(this.lastEndMs, now - SPEECH_START_DELAY_MS);
      this.emit({ type: 'speech_start', at_ms: this.utteranceStartMs });
    }
    if (!this.inUtterance) return;
    if (speech && this.heardSamples < MAX_UTTERANCE_SAMPLES) {
      if (this.partials) this.emitPartial();
      return;
    }
    this.finishUtterance(speech ? now : Math.max(this.utteranceStartMs, now - SPEECH_END_DELAY_MS));
    this.decoder.startUtterance();
  }

  private remember(samples: Int16Array): void {
    this.heard.push(samples.slice());
    this.heardSamples += samples.length;
    while (!this.inUtterance && this.heardSamples - this.heard[0]!.length >= PRE_ROLL_SAMPLES) this.heardSamples -= this.heard.shift()!.length;
  }

  private emitPartial(): void {
    const text = this.decoder.hypothesis();
    if (text === null || text === this.lastPartial) return;
    this.lastPartial = text;
    this.emit({ type: 'partial', text, segment_index: this.segmentIndex });
  }

  private finishUtterance(endMs: number): void {
    this.inUtterance = false;
    this.lastPartial = null;
    this.lastEndMs = endMs;
    this.emit({ type: 'speech_end', at_ms: endMs });
    const text = this.decoder.decodeUtterance(concatSamples(this.heard));
    this.heard = [];
    this.heardSamples = 0;
    if (text === null) return;
    const startMs = this.utteranceStartMs;
    this.emit({ type: 'transcript', text, duration_ms: endMs - startMs, role: 'unknown', segment_index: this.segmentIndex++, start_ms: startMs, end_ms: endMs });
  }
}
