/**
 * How PocketSphinx's finals are windowed (issue 22): a window closes at a pause at least
 * `sentencePauseMs` long (pauses inside a sentence are shorter), and one reaching
 * `maxWindowMs` is cut at its longest pause. Thresholds chosen on the development set
 * (bench/data/devset); docs/decisions.md, "Transcripts (issue 22)", says why.
 */
export interface WindowRules {
  sentencePauseMs: number;
  maxWindowMs: number;
}

/** Live streams: a final soon after each sentence, partials meanwhile. */
export const LIVE_WINDOWS: WindowRules = { sentencePauseMs: 1000, maxWindowMs: 30_000 };

/** A whole recording sent as fast as it decodes (a file, a meeting's final pass): long windows cut at the longest pauses, as a batch decoder would. */
export const RECORDING_WINDOWS: WindowRules = { sentencePauseMs: Infinity, maxWindowMs: 60_000 };
