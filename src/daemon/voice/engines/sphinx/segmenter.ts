import { FrameSplitter, concatSamples } from '../../../../audio/frames.js';
import type { VoiceEvent } from '../../../../protocol/voice.js';
import { ENGINE_SAMPLE_RATE } from '../stream-worker.js';
import { LIVE_WINDOWS, type WindowRules } from './window-rules.js';

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
const SPEECH_START_DELAY_SAMPLES = ENGINE_SAMPLE_RATE / 10;
const SPEECH_END_DELAY_SAMPLES = ENGINE_SAMPLE_RATE / 2;
/** Audio kept from before speech starts, so the final decode hears the utterance's onset. */
const PRE_ROLL_SAMPLES = ENGINE_SAMPLE_RATE;

/** A silence inside the open window, in samples of the stream: from the end of speech to its return. */
interface Pause {
  start: number;
  end: number;
}

/**
 * Splits one stream into windows, each decoded whole once it closes; that decode is the
 * final (a live pass only ever sees the past, and its running cepstral mean lags the
 * speaker: on the testdata the full decode roughly halves the errors). PocketSphinx's
 * detector finds the pauses; a window stays open across pauses shorter than the rules'
 * sentence pause, so a sentence said with pauses is decoded as one, with its language-model
 * context and a cepstral mean over all of it. A window reaching the rules' maximum is cut
 * at its longest pause (in its second half if it has one there), the rest carried into the
 * next window. The live pass restarts at every pause and gives the partials: the window's
 * earlier pieces followed by the current one. Emits `speech_start`, `partial`, `speech_end`
 * and `transcript` in order; times are in ms of the stream's audio.
 */
export class UtteranceSegmenter {
  private samplesDone = 0;
  private readonly steps = new FrameSplitter(STEP_SAMPLES);
  /** Audio from `bufferStart` on: the open window's (with its pre-roll), or between windows the latest pre-roll. */
  private buffer: Int16Array[] = [];
  private bufferStart = 0;
  /** Where the open window's speech starts, or null between windows. */
  private windowStart: number | null = null;
  private lastEnd = 0;
  private pauses: Pause[] = [];
  /** Where the current silence began, while the detector hears none inside the window. */
  private pauseStart: number | null = null;
  /** The live pass's text for the window's pieces before the current one. */
  private earlierText = '';
  private lastPartial: string | null = null;
  private segmentIndex = 0;
  private readonly maxWindowSamples: number;
  private readonly sentencePauseSamples: number;

  constructor(
    private readonly decoder: StreamingDecoder,
    private readonly partials: boolean,
    private readonly emit: (event: VoiceEvent) => void,
    rules: WindowRules = LIVE_WINDOWS,
  ) {
    this.maxWindowSamples = (rules.maxWindowMs * ENGINE_SAMPLE_RATE) / 1000;
    this.sentencePauseSamples = (rules.sentencePauseMs * ENGINE_SAMPLE_RATE) / 1000;
    decoder.startStream();
    decoder.startUtterance();
  }

  get audioMs(): number {
    return toMs(this.samplesDone);
  }

  process(samples: Int16Array): void {
    for (const step of this.steps.push(samples)) this.step(step);
  }

  /** Ends the stream: the open window, if any, becomes its final transcript. */
  flush(): void {
    const rest = this.steps.drain();
    if (rest.length) this.step(rest);
    if (this.windowStart !== null) this.closeWindow(this.pauseStart ?? this.samplesDone);
    this.decoder.endUtterance();
  }

  private step(samples: Int16Array): void {
    const speech = this.decoder.process(samples);
    this.samplesDone += samples.length;
    this.buffer.push(samples.slice());
    const now = this.samplesDone;
    if (this.windowStart === null) {
      if (!speech) return this.keepPreRoll();
      this.openWindow(Math.max(this.lastEnd, now - SPEECH_START_DELAY_SAMPLES));
    }
    if (speech) {
      if (this.pauseStart !== null) this.pauses.push({ start: this.pauseStart, end: Math.max(this.pauseStart, now - SPEECH_START_DELAY_SAMPLES) });
      this.pauseStart = null;
      if (this.partials) this.emitPartial();
    } else if (this.pauseStart === null) {
      this.pauseStart = Math.max(this.windowStart!, now - SPEECH_END_DELAY_SAMPLES);
      this.restartLivePass();
    }
    if (this.pauseStart !== null && now - this.pauseStart >= this.sentencePauseSamples) this.closeWindow(this.pauseStart);
    else if (now - this.bufferStart >= this.maxWindowSamples) this.cutAtLongestPause();
  }

  private openWindow(start: number): void {
    this.windowStart = start;
    this.pauses = [];
    this.pauseStart = null;
    this.earlierText = '';
    this.emit({ type: 'speech_start', at_ms: toMs(start) });
  }

  /** The live pass ends its utterance at each pause, as the detector's utterances end, and keeps its text for the partials. */
  private restartLivePass(): void {
    this.decoder.endUtterance();
    this.earlierText = joinText(this.earlierText, this.decoder.hypothesis());
    this.decoder.startUtterance();
  }

  private keepPreRoll(): void {
    let held = this.samplesDone - this.bufferStart;
    while (held - this.buffer[0]!.length >= PRE_ROLL_SAMPLES) {
      held -= this.buffer.shift()!.length;
      this.bufferStart = this.samplesDone - held;
    }
  }

  /** A full window: cut at its longest pause, preferring one in its second half; with none, right here. */
  private cutAtLongestPause(): void {
    const open = this.pauseStart === null ? [] : [{ start: this.pauseStart, end: this.samplesDone }];
    const candidates = [...this.pauses, ...open];
    const late = candidates.filter((pause) => pause.end - this.bufferStart >= this.maxWindowSamples / 2);
    const longest = (late.length ? late : candidates).reduce<Pause | null>(
      (best, pause) => (best && best.end - best.start >= pause.end - pause.start ? best : pause),
      null,
    );
    if (!longest || longest.start === this.pauseStart) {
      this.closeWindow(this.pauseStart ?? this.samplesDone);
      return;
    }
    // The pause is split: the first window keeps the silence after its speech, the next starts with up to a pre-roll before its own.
    const cut = longest.end - Math.min(PRE_ROLL_SAMPLES, Math.floor((longest.end - longest.start) / 2));
    const audio = concatSamples(this.buffer);
    const splitAt = cut - this.bufferStart;
    this.buffer = [audio.slice(splitAt)];
    this.bufferStart = cut;
    this.finish(audio.subarray(0, splitAt), longest.start);
    const laterPauses = this.pauses.filter((pause) => pause.start > longest.start);
    const pauseStart = this.pauseStart;
    this.openWindow(longest.end);
    this.pauses = laterPauses;
    this.pauseStart = pauseStart;
  }

  private closeWindow(end: number): void {
    const audio = concatSamples(this.buffer);
    this.buffer = [];
    this.bufferStart = this.samplesDone;
    this.finish(audio, end);
    this.windowStart = null;
    this.pauseStart = null;
  }

  /** Emits the window's end and its final, decoded from `audio` in one pass. */
  private finish(audio: Int16Array, end: number): void {
    const start = this.windowStart!;
    this.lastEnd = end;
    this.lastPartial = null;
    this.emit({ type: 'speech_end', at_ms: toMs(end) });
    const text = this.decoder.decodeUtterance(audio);
    // decodeUtterance leaves no utterance open; the live pass goes on where it was.
    this.decoder.startUtterance();
    if (text === null) return;
    this.emit({
      type: 'transcript',
      text,
      duration_ms: toMs(end) - toMs(start),
      role: 'unknown',
      segment_index: this.segmentIndex++,
      start_ms: toMs(start),
      end_ms: toMs(end),
    });
  }

  private emitPartial(): void {
    const text = joinText(this.earlierText, this.decoder.hypothesis());
    if (text === '' || text === this.lastPartial) return;
    this.lastPartial = text;
    this.emit({ type: 'partial', text, segment_index: this.segmentIndex });
  }
}

const toMs = (samples: number) => Math.round((samples * 1000) / ENGINE_SAMPLE_RATE);
const joinText = (earlier: string, current: string | null) => (current ? (earlier ? `${earlier} ${current}` : current) : earlier);
