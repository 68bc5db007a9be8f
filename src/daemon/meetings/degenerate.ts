import { contentWords, words } from './text-stats.js';

/** Below this share of distinct word trigrams, the text is going round in circles. */
const MIN_DISTINCT_TRIGRAMS = 0.5;
/** Above this share of tokens that are not word-shaped, the text is noise. */
const MAX_NON_WORDS = 0.25;
/** Below this share of content words that occur in the transcript, the text is about something else. */
const MIN_GROUNDING = 0.3;

export interface OutputCheck {
  degenerate: boolean;
  /** Why, with the measured values; `null` when the output is usable. */
  reason: string | null;
}

/**
 * Whether a model's summary can be trusted, measured three ways: repetition (distinct word
 * trigrams), non-words (tokens that do not look like words: stray symbols, capitals inside
 * a word, letters glued to digits), and grounding (how many of its content words come from
 * the transcript). Random or off-topic weights fail at least one; a real summary passes all.
 */
export function checkModelOutput(output: string, transcript: string): OutputCheck {
  const tokens = output.split(/\s+/).filter(Boolean);
  if (!tokens.length) return { degenerate: true, reason: 'the model produced an empty summary' };
  const found = words(output);
  if (found.length >= 12) {
    const trigrams = found.slice(2).map((word, i) => `${found[i]} ${found[i + 1]} ${word}`);
    const distinct = new Set(trigrams).size / trigrams.length;
    if (distinct < MIN_DISTINCT_TRIGRAMS)
      return { degenerate: true, reason: `the model's summary repeats itself (${percent(distinct)} distinct word trigrams)` };
  }
  const nonWords = tokens.filter((token) => !isWordShaped(token)).length / tokens.length;
  if (nonWords > MAX_NON_WORDS) return { degenerate: true, reason: `the model's summary is ${percent(nonWords)} non-words` };
  const vocabulary = new Set(contentWords(transcript));
  const terms = contentWords(output);
  if (terms.length) {
    const grounded = terms.filter((term) => vocabulary.has(term)).length / terms.length;
    if (grounded < MIN_GROUNDING)
      return { degenerate: true, reason: `the model's summary is not about the transcript (${percent(grounded)} of its content words occur in it)` };
  }
  return { degenerate: false, reason: null };
}

/** Markdown bullets and punctuation around a word are fine; what is inside must be a word, a number or a `[mm:ss]` stamp. */
function isWordShaped(token: string): boolean {
  const core = token.replace(/^[-*#>(["'`_]+|[)\]"'`_.,;:!?*]+$/g, '');
  if (core === '') return true;
  return /^(?:\p{Lu}?\p{Ll}+(?:['’-]\p{L}+)*|\p{Lu}+|\p{N}+(?:[.,:/%-]\p{N}+)*%?|\d+(?:st|nd|rd|th)|\p{L}\.(?:\p{L}\.)*)$/u.test(core);
}

const percent = (ratio: number) => `${Math.round(ratio * 100)}%`;
