import { transcriptStamp, type TranscriptLine } from '../../protocol/meeting.js';
import { meaningfulWords, stem } from './text-stats.js';
import type { TemplateName } from './templates.js';

type Segment = Pick<TranscriptLine, 'text' | 'start_ms'>;

interface Sentence {
  text: string;
  start_ms: number;
  /** Position in the transcript, to keep chronological order and break ties. */
  order: number;
  /** Its meaningful words as written, and their stems (the terms that are counted). */
  words: string[];
  terms: string[];
}

/** Phrases that mark a commitment or a task. */
const ACTION_CUES =
  /\b(we will|we'll|i will|i'll|you will|you'll|(?:we|i|you) (?:need|have|ought) to|needs to|has to|must|should|let's|let us|action items?|to-?do|follow up|follow-up|take care of|make sure|assign(?:ed)? to|is going to|are going to|by (?:monday|tuesday|wednesday|thursday|friday|saturday|sunday|tomorrow|tonight|next week|the end of (?:the )?(?:day|week|month))|deadline|due (?:on|by))\b/i;
/** A named person taking something on ("Maria will write the migration"); sentences open with a capital, so the usual pronouns are left out. */
const OWNER_CUES = /\b(?!(?:It|This|That|There|What|Which|Who|Nothing|Everything)\b)[A-Z][a-z]+ (?:will|is going to|needs to|has to)\b/;
const DECISION_CUES = /\b(agreed|agree(?:s)? (?:on|to|that)|decided|decision|we'll go with|going with|settled on|approved|conclusion|final answer)\b/i;
const DONE_CUES = /\b(yesterday|done|finished|completed|shipped|merged|fixed|closed)\b/i;
const BLOCKER_CUES = /\b(blocked|blocker|blocking|stuck|waiting (?:on|for)|can't|cannot|problem|issue with)\b/i;
const PLAN_CUES = /\b(today|next|will|i'll|we'll|plan(?:ning)? to|going to|working on)\b/i;

const MAX_KEY_POINTS = 10;
const MAX_LISTED = 20;
const KEYWORDS = 8;

/**
 * The extractive summary: the transcript's most central sentences (TF-IDF cosine to the
 * whole meeting's centroid), the sentences with action or decision cue phrases, and the
 * keywords, each with its `[mm:ss]` stamp. Stop words of the meeting's `language` never
 * count. Every line is the transcript's own words, so it can never invent anything; it is
 * deterministic and linear in the transcript's length.
 */
export function extractiveSummary(segments: readonly Segment[], template: TemplateName = 'default', language = 'en'): string {
  const sentences = splitSentences(segments, language);
  const sections: [string, Sentence[] | string][] = [];
  const cued = (...cues: RegExp[]) => distinct(sentences.filter((sentence) => cues.some((cue) => cue.test(sentence.text)))).slice(0, MAX_LISTED);
  if (template === 'action-items') sections.push(['Action items', cued(ACTION_CUES, OWNER_CUES)]);
  else if (template === 'decisions') sections.push(['Decisions', cued(DECISION_CUES)]);
  else if (template === 'standup') {
    sections.push(['Done', cued(DONE_CUES)], ['Next', cued(PLAN_CUES).filter((sentence) => !DONE_CUES.test(sentence.text))], ['Blockers', cued(BLOCKER_CUES)]);
  } else {
    sections.push(
      ['Key points', centralSentences(sentences)],
      ['Decisions', cued(DECISION_CUES)],
      ['Action items', cued(ACTION_CUES, OWNER_CUES)],
      ['Keywords', keywords(sentences).join(', ')],
    );
  }
  return sections.map(([title, body]) => `## ${title}\n\n${render(body)}`).join('\n\n');
}

function render(body: Sentence[] | string): string {
  if (typeof body === 'string') return body || '_none_';
  if (!body.length) return '_none found in the transcript_';
  return body.map((sentence) => `- [${transcriptStamp(sentence.start_ms)}] ${sentence.text}`).join('\n');
}

/** Segments cut at sentence ends (recognisers without punctuation give one sentence per segment). */
function splitSentences(segments: readonly Segment[], language: string): Sentence[] {
  const sentences: Sentence[] = [];
  for (const segment of segments) {
    const parts = segment.text.match(/[^.!?]+[.!?]*/g) ?? [];
    for (const part of parts) {
      const text = part.trim();
      if (!/[\p{L}\p{N}]/u.test(text)) continue;
      const words = meaningfulWords(text, language);
      sentences.push({ text, start_ms: segment.start_ms, order: sentences.length, words, terms: words.map(stem) });
    }
  }
  return sentences;
}

/** The first of each sentence said more than once. */
function distinct(sentences: Sentence[]): Sentence[] {
  const seen = new Set<string>();
  return sentences.filter((sentence) => {
    const key = sentence.text.toLowerCase();
    return seen.has(key) ? false : (seen.add(key), true);
  });
}

/**
 * How many key points: about the square root of the sentence count, at most
 * `MAX_KEY_POINTS`, and never more than a third of the sentences (a short meeting's
 * summary is not its transcript again).
 */
export const keyPointCount = (sentences: number): number => Math.min(MAX_KEY_POINTS, Math.max(1, Math.round(Math.sqrt(sentences))), Math.ceil(sentences / 3));

/** The sentences nearest the meeting's TF-IDF centroid (`keyPointCount` of them), in transcript order. */
function centralSentences(sentences: Sentence[]): Sentence[] {
  const candidates = sentences.filter((sentence) => sentence.terms.length > 0);
  if (!candidates.length) return [];
  const idf = inverseDocumentFrequency(candidates);
  const vectors = candidates.map((sentence) => weights(sentence.terms, idf));
  const centroid = new Map<string, number>();
  for (const vector of vectors) for (const [term, weight] of vector) centroid.set(term, (centroid.get(term) ?? 0) + weight);
  const centroidNorm = norm(centroid);
  const scored = candidates.map((sentence, i) => {
    const vector = vectors[i]!;
    let dot = 0;
    for (const [term, weight] of vector) dot += weight * (centroid.get(term) ?? 0);
    // Longer sentences carry more; a one-word sentence rarely stands for the meeting.
    const lengthFactor = Math.min(1, sentence.terms.length / 4);
    return { sentence, score: (dot / (norm(vector) * centroidNorm || 1)) * lengthFactor };
  });
  const ranked = scored.sort((a, b) => b.score - a.score || a.sentence.order - b.sentence.order).map(({ sentence }) => sentence);
  return distinct(ranked)
    .slice(0, keyPointCount(distinct(candidates).length))
    .sort((a, b) => a.order - b.order);
}

/**
 * The terms that weigh most across the whole meeting (frequency × inverse sentence
 * frequency), among those said in more than one sentence when there are enough of them;
 * each shown as it was most often said, not as its stem.
 */
function keywords(sentences: Sentence[]): string[] {
  const counts = new Map<string, number>();
  const spellings = new Map<string, Map<string, number>>();
  for (const sentence of sentences) {
    sentence.terms.forEach((term, i) => {
      counts.set(term, (counts.get(term) ?? 0) + 1);
      const forms = spellings.get(term) ?? spellings.set(term, new Map()).get(term)!;
      forms.set(sentence.words[i]!, (forms.get(sentence.words[i]!) ?? 0) + 1);
    });
  }
  const frequency = sentenceFrequency(sentences);
  const idf = inverseDocumentFrequency(sentences, frequency);
  const repeated = [...counts.keys()].filter((term) => frequency.get(term)! > 1);
  const candidates = repeated.length >= KEYWORDS ? repeated : [...counts.keys()];
  // Ties go to the term said first (Map order is first appearance).
  const order = new Map([...counts.keys()].map((term, i) => [term, i]));
  return candidates
    .map((term) => ({ term, score: counts.get(term)! * (idf.get(term)! + 1) }))
    .sort((a, b) => b.score - a.score || order.get(a.term)! - order.get(b.term)!)
    .slice(0, KEYWORDS)
    .map(({ term }) => mostSaid(spellings.get(term)!));
}

/** The spelling said most often (the first of equals). */
function mostSaid(forms: Map<string, number>): string {
  let best = '';
  let bestCount = 0;
  for (const [form, count] of forms) if (count > bestCount) [best, bestCount] = [form, count];
  return best;
}

/** In how many sentences each term occurs. */
function sentenceFrequency(sentences: Sentence[]): Map<string, number> {
  const frequency = new Map<string, number>();
  for (const sentence of sentences) for (const term of new Set(sentence.terms)) frequency.set(term, (frequency.get(term) ?? 0) + 1);
  return frequency;
}

function inverseDocumentFrequency(sentences: Sentence[], frequency = sentenceFrequency(sentences)): Map<string, number> {
  const idf = new Map<string, number>();
  for (const [term, count] of frequency) idf.set(term, Math.log((1 + sentences.length) / (1 + count)) + 1);
  return idf;
}

function weights(terms: string[], idf: Map<string, number>): Map<string, number> {
  const vector = new Map<string, number>();
  for (const term of terms) vector.set(term, (vector.get(term) ?? 0) + (idf.get(term) ?? 0));
  return vector;
}

function norm(vector: Map<string, number>): number {
  let sum = 0;
  for (const weight of vector.values()) sum += weight * weight;
  return Math.sqrt(sum);
}
