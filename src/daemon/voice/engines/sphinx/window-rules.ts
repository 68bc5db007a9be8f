/**
 * How PocketSphinx's finals are windowed (issue 22): a window closes at a pause at least
 * `sentencePauseMs` long (pauses inside a sentence are shorter), and one reaching
 * `maxWindowMs` is cut at its longest pause. Thresholds chosen on the development set
 * (bench/data/devset); docs/decisions.md ("Voice, speech engines and capture": Final windows, Recording mode) says why.
 */
export interface WindowRules {
  sentencePauseMs: number;
  maxWindowMs: number;
}

/** Live streams: a final soon after each sentence, partials meanwhile. */
export const LIVE_WINDOWS: WindowRules = { sentencePauseMs: 1000, maxWindowMs: 30_000 };

/**
 * A whole recording sent as fast as it decodes (a file, a meeting's final pass): windows of up
 * to a minute cut at the longest pauses, closing at sentence pauses too. Without that close
 * (one window per minute) the dev set as one meeting got 39.1 % instead of 32.0 % WER.
 */
export const RECORDING_WINDOWS: WindowRules = { sentencePauseMs: 1000, maxWindowMs: 60_000 };
