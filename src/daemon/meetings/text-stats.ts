/** Word-level text measures shared by the extractive summariser and the degenerate-output check. */

/** Common English function words: they say nothing about what a meeting was about. */
export const STOPWORDS = new Set(
  `a about above after again against all am an and any are as at be because been before being below between both but by can could did do does doing down during each few for from further had has have having he her here hers herself him himself his how i if in into is it its itself just let me more most my myself no nor not now of off on once only or other our ours ourselves out over own same she should so some such than that the their theirs them themselves then there these they this those through to too under until up very was we were what when where which while who whom why will with would you your yours yourself yourselves yes yeah okay ok um uh oh well also like get got going go gonna really think know one two three four five six seven eight nine ten thing things`.split(
    /\s+/,
  ),
);

/** Lower-case words (letters, digits, inner apostrophes). */
export function words(text: string): string[] {
  return text.toLowerCase().match(/[\p{L}\p{N}]+(?:'[\p{L}]+)*/gu) ?? [];
}

/** Words that carry meaning: not stopwords, at least three characters, not pure numbers. */
export function contentWords(text: string): string[] {
  return words(text).filter((word) => word.length >= 3 && !STOPWORDS.has(word) && !/^\p{N}+$/u.test(word)).map(stem);
}

/** A light suffix strip so "meetings", "meeting" and "meeting's" count as one term. */
export function stem(word: string): string {
  const base = word.replace(/'s$/, '');
  for (const suffix of ['ing', 'ed', 'es', 's']) {
    if (base.length > suffix.length + 3 && base.endsWith(suffix)) return base.slice(0, -suffix.length);
  }
  return base;
}
