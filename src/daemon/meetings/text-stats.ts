import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

/** Word-level text measures shared by the extractive summariser and the degenerate-output check. */

/** What people say on a call that says nothing about the meeting, beside a language's function words. */
const CONVERSATION_FILLERS =
  'yeah yep yup nope okay ok alright um uh uhm erm hmm mm mhm oh ah gonna wanna gotta kinda sorta yes no thing things stuff guess mean honestly basically literally totally maybe sure cool great'.split(
    ' ',
  );

const stopWordsByLanguage = new Map<string, ReadonlySet<string>>();

/**
 * The stop words of a language (stopwords-iso, by the meeting's ISO 639-1 code; English for
 * a language it has no list for) plus conversation fillers. Only the languages asked for are
 * kept once the list has been read.
 */
export function stopWords(language = 'en'): ReadonlySet<string> {
  const code = language.toLowerCase().split('-')[0]!;
  let words = stopWordsByLanguage.get(code);
  if (!words) {
    const all = JSON.parse(readFileSync(createRequire(import.meta.url).resolve('stopwords-iso'), 'utf8')) as Record<string, string[]>;
    words = new Set([...(all[code] ?? all.en!), ...CONVERSATION_FILLERS]);
    stopWordsByLanguage.set(code, words);
  }
  return words;
}

/** Lower-case words (letters, digits, inner apostrophes). */
export function words(text: string): string[] {
  return text.toLowerCase().match(/[\p{L}\p{N}]+(?:['’][\p{L}]+)*/gu) ?? [];
}

/** Words that carry meaning, as written: not stop words, at least three characters, not pure numbers. */
export function meaningfulWords(text: string, language?: string): string[] {
  const stop = stopWords(language);
  return words(text).filter((word) => word.length >= 3 && !stop.has(word) && !/^\p{N}+$/u.test(word));
}

/** The stems of the meaningful words, so "meetings", "meeting" and "meeting's" count as one term. */
export function contentWords(text: string, language?: string): string[] {
  return meaningfulWords(text, language).map(stem);
}

/** A light suffix strip. */
export function stem(word: string): string {
  const base = word.replace(/['’]s$/, '');
  for (const suffix of ['ing', 'ed', 'es', 's']) {
    if (base.length > suffix.length + 3 && base.endsWith(suffix)) return base.slice(0, -suffix.length);
  }
  return base;
}
