import { STOPWORDS } from './stopwords.js';

/**
 * Turning free text into FTS5 match expressions. Only word characters survive and every
 * term is quoted, so user text can never inject FTS5 operators or column filters.
 */
const WORD = /[\p{L}\p{N}\p{M}]+/gu;
const MAX_TERMS = 32;
const STOPWORD_SET = new Set(STOPWORDS);

/** The distinct words of a query (case-folded, at most 32), without function words unless it has nothing else. */
export function queryTerms(text: string): string[] {
  const content = new Set<string>();
  const functionWords = new Set<string>();
  for (const match of text.matchAll(WORD)) {
    const term = match[0].toLowerCase();
    if (STOPWORD_SET.has(term)) functionWords.add(term);
    else if (content.add(term).size === MAX_TERMS) break;
  }
  return content.size > 0 ? [...content] : [...functionWords].slice(0, MAX_TERMS);
}

/** Facts containing every term. */
export const matchAll = (terms: readonly string[]): string => terms.map(quote).join(' AND ');

/** Facts containing at least one term. */
export const matchAny = (terms: readonly string[]): string => terms.map(quote).join(' OR ');

const quote = (term: string) => `"${term}"`;
