import { z } from 'zod';
import { defineMethods, returns } from './descriptor.js';
import { emptyParams } from './core.js';
import { utf8Length } from './text.js';

/** Memory methods (PROTOCOL.md §14). */

export const FACT_KINDS = ['pattern', 'constraint', 'fact', 'preference', 'conversation'] as const;
export const FACT_SOURCES = ['ws', 'meeting', 'load'] as const;
export type FactKind = (typeof FACT_KINDS)[number];
export type FactSource = (typeof FACT_SOURCES)[number];

export const MAX_SUBJECT_CHARS = 512;
export const MAX_BODY_BYTES = 16 * 1024;
export const MAX_QUERY_CHARS = 4096;
export const MAX_FACT_ID_CHARS = 256;
export const MAX_PATH_CHARS = 4096;

const notBlank = (value: string) => /\S/.test(value);

export const factSubject = z
  .string()
  .min(1, 'must not be empty')
  .max(MAX_SUBJECT_CHARS, `must be at most ${MAX_SUBJECT_CHARS} characters`)
  .refine(notBlank, 'must not be blank');

export const factBody = z
  .string()
  .min(1, 'must not be empty')
  .refine((body) => utf8Length(body) <= MAX_BODY_BYTES, `must be at most 16 KiB (${MAX_BODY_BYTES} bytes of UTF-8); split it into several facts`)
  .refine(notBlank, 'must not be blank');

export const factKind = z.enum(FACT_KINDS, { error: `must be one of ${FACT_KINDS.join(', ')}` });
export const factId = z.string().min(1, 'must not be empty').max(MAX_FACT_ID_CHARS, `must be at most ${MAX_FACT_ID_CHARS} characters`);

const queryText = z
  .string()
  .max(MAX_QUERY_CHARS, `must be at most ${MAX_QUERY_CHARS} characters`)
  .refine(notBlank, 'must not be empty; pass the words to search for');

const sandboxPath = z
  .string()
  .min(1, 'must not be empty')
  .max(MAX_PATH_CHARS, `must be at most ${MAX_PATH_CHARS} characters`)
  .refine((path) => !path.includes('\0'), 'must not contain NUL bytes');

/**
 * §5.3: a namespace is a name, not a path. Printable ASCII keeps it unambiguous on every
 * terminal; separators and dot names are refused so it can never be mistaken for a path.
 * Case matters: `A` and `a` are two graphs.
 */
export const memoryNamespace = z
  .string()
  .regex(/^[\x20-\x7e]{1,128}$/, 'must be 1-128 printable ASCII characters')
  .refine((name) => !/[/\\]/.test(name), "must not contain '/' or '\\'; a namespace is a name, not a path")
  .refine((name) => name !== '.' && name !== '..', "must not be '.' or '..'");

export const addFactParams = z.strictObject({
  /** What the fact is about; when absent, the body's first words (see `subjectOf`). */
  subject: factSubject.optional(),
  body: factBody,
  kind: factKind.default('pattern'),
});

export const queryParams = z.strictObject({
  query: queryText,
  k: z.number().int('must be a whole number').min(1, 'must be at least 1').max(100, 'must be at most 100').default(5),
});

export const deleteFactParams = z.strictObject({ id: factId });

/** §23 `memory.list`: a page of the graph's facts, newest first. */
export const listFactsParams = z.strictObject({
  limit: z.number().int('must be a whole number').min(1, 'must be at least 1').max(1000, 'must be at most 1000').default(50),
  offset: z.number().int('must be a whole number').min(0, 'must be at least 0').default(0),
});

export const buildContextParams = z.strictObject({
  query: queryText,
  model_context_window: z.number().int('must be a whole number').min(1, 'must be at least 1').optional(),
});

export const persistParams = z.strictObject({ path: sandboxPath });
export const loadParams = z.strictObject({ path: sandboxPath });

/** Words of the body that stand for a fact added without a subject. */
const SUBJECT_WORDS = 8;
const SUBJECT_CHARS = 60;

/** The subject of a fact added without one: the first words of its body's first line, shortened with an ellipsis. */
export function subjectOf(body: string): string {
  const line = body.trim().split('\n')[0]!.trim();
  let subject = line.split(/\s+/).slice(0, SUBJECT_WORDS).join(' ');
  if (subject.length > SUBJECT_CHARS) subject = subject.slice(0, SUBJECT_CHARS - 1).trimEnd();
  return subject.length < line.length ? `${subject}…` : subject;
}

/** One `memory.query` hit (UPSTREAM fields plus `id` and `score`). */
export interface MemoryHit {
  id: string;
  subject: string;
  body: string;
  kind: FactKind;
  confidence: number;
  score: number;
}

/** One stored fact as `memory.list` returns it. */
export interface MemoryFact {
  id: string;
  subject: string;
  body: string;
  kind: FactKind;
  confidence: number;
  source: FactSource;
  created_at: string;
}

export interface ListFactsResult {
  facts: MemoryFact[];
  /** Every fact in the graph, so a client can tell when it has paged to the end. */
  fact_count: number;
}

export interface AddFactResult {
  id: string;
  fact_count: number;
}

export interface DeleteFactResult {
  id: string;
  deleted: boolean;
  kind: FactKind | null;
  fact_count: number;
}

export const memoryContract = defineMethods({
  'memory.add_fact': { params: addFactParams, result: returns<AddFactResult>() },
  'memory.query': { params: queryParams, result: returns<MemoryHit[]>() },
  'memory.fact_count': { params: emptyParams, result: returns<number>() },
  'memory.list': { params: listFactsParams, result: returns<ListFactsResult>() },
  'memory.delete': { params: deleteFactParams, result: returns<DeleteFactResult>() },
  'memory.build_context': { params: buildContextParams, result: returns<string>() },
  'memory.persist': { params: persistParams, result: returns<number>() },
  'memory.load': { params: loadParams, result: returns<number>() },
});
