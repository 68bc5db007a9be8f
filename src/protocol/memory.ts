import { z } from 'zod';
import { defineMethods } from './descriptor.js';
import { emptyParams } from './core.js';
import { utf8Length } from './text.js';

/** Memory methods (docs/protocol.md#namespace-memory). */

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
 * A namespace is a name, not a path (docs/protocol.md#memory-graphs). Printable ASCII keeps it unambiguous on every
 * terminal; separators and dot names are refused so it can never be mistaken for a path.
 * Case matters: `A` and `a` are two graphs.
 */
export const memoryNamespace = z
  .string()
  .regex(/^[\x20-\x7e]{1,128}$/, 'must be 1-128 printable ASCII characters')
  .refine((name) => !/[/\\]/.test(name), "must not contain '/' or '\\'; a namespace is a name, not a path")
  .refine((name) => name !== '.' && name !== '..', "must not be '.' or '..'");

/** Words of the body that stand for a fact added without a subject. */
const SUBJECT_WORDS = 8;
const SUBJECT_CHARS = 60;

export const addFactParams = z.strictObject({
  /** What the fact is about; when absent, the body's first words (see `subjectOf`). */
  subject: factSubject.optional().describe(`default: the body's first words (at most ${SUBJECT_WORDS} words, ${SUBJECT_CHARS} characters)`),
  body: factBody,
  kind: factKind.default('pattern'),
});

export const queryParams = z.strictObject({
  query: queryText,
  k: z.number().int('must be a whole number').min(1, 'must be at least 1').max(100, 'must be at most 100').default(5).describe('how many facts'),
});

export const deleteFactParams = z.strictObject({ id: factId });

/** `memory.list` (docs/protocol.md#memory-list): a page of the graph's facts, newest first. */
export const listFactsParams = z.strictObject({
  limit: z.number().int('must be a whole number').min(1, 'must be at least 1').max(1000, 'must be at most 1000').default(50),
  offset: z.number().int('must be a whole number').min(0, 'must be at least 0').default(0),
});

export const buildContextParams = z.strictObject({
  query: queryText,
  model_context_window: z.number().int('must be a whole number').min(1, 'must be at least 1').optional().describe('the budget is min(8192, this / 2) tokens'),
});

const sandboxFile = sandboxPath.describe('relative to <state root>/memory/, or absolute inside it');
export const persistParams = z.strictObject({ path: sandboxFile });
export const loadParams = z.strictObject({ path: sandboxFile });

const storedFact = {
  id: z.string(),
  subject: z.string(),
  body: z.string(),
  kind: z.enum(FACT_KINDS),
  confidence: z.number().min(0).max(1).describe('1.0 for explicit facts, 0.8 for meeting transcript facts'),
};

/** The subject of a fact added without one: the first words of its body's first line, shortened with an ellipsis. */
export function subjectOf(body: string): string {
  const line = body.trim().split('\n')[0]!.trim();
  let subject = line.split(/\s+/).slice(0, SUBJECT_WORDS).join(' ');
  if (subject.length > SUBJECT_CHARS) subject = subject.slice(0, SUBJECT_CHARS - 1).trimEnd();
  return subject.length < line.length ? `${subject}…` : subject;
}

/** One `memory.query` hit (UPSTREAM fields plus `id` and `score`). */
export const memoryHit = z.object({ ...storedFact, score: z.number().describe('relevance; higher is better') }).meta({ id: 'MemoryHit' });
export type MemoryHit = z.output<typeof memoryHit>;

/** One stored fact as `memory.list` returns it. */
export const memoryFact = z
  .object({
    ...storedFact,
    source: z.enum(FACT_SOURCES).describe("'ws' (memory.add_fact), 'meeting' (a transcript segment) or 'load' (memory.load)"),
    created_at: z.string(),
  })
  .meta({ id: 'MemoryFact' });
export type MemoryFact = z.output<typeof memoryFact>;

export const listFactsResult = z.object({
  facts: z.array(memoryFact).describe('newest first'),
  fact_count: z.number().int().describe('every fact in the graph, so a client can tell when it has paged to the end'),
});
export type ListFactsResult = z.output<typeof listFactsResult>;

export const addFactResult = z.object({
  id: z.string().describe('an identical (subject, body, kind) already present keeps its id'),
  fact_count: z.number().int(),
});
export type AddFactResult = z.output<typeof addFactResult>;

export const deleteFactResult = z.object({
  id: z.string(),
  deleted: z.boolean().describe('false for an unknown id (deleting is idempotent)'),
  kind: z.enum(FACT_KINDS).nullable(),
  fact_count: z.number().int(),
});
export type DeleteFactResult = z.output<typeof deleteFactResult>;

const factCount = z.number().int().min(0);

export const memoryContract = defineMethods({
  'memory.add_fact': {
    params: addFactParams,
    result: addFactResult,
    summary: 'Adds a fact to the graph the session resolves to; an identical fact is not duplicated.',
  },
  'memory.query': { params: queryParams, result: z.array(memoryHit), summary: 'The k facts that best match the query (FTS5 BM25, ties by recency).' },
  'memory.fact_count': { params: emptyParams, result: factCount, summary: 'The number of facts in the graph the session resolves to.' },
  'memory.list': { params: listFactsParams, result: listFactsResult, summary: "A page of the graph's facts, newest first." },
  'memory.delete': { params: deleteFactParams, result: deleteFactResult, summary: 'Deletes a fact by id; an unknown id answers deleted: false.' },
  'memory.build_context': {
    params: buildContextParams,
    result: z.string().describe('Constraints, Facts and Conversation sections, within min(8192, model_context_window / 2) tokens'),
    summary: 'Assembles a prompt context from the graph for a query.',
  },
  'memory.persist': {
    params: persistParams,
    result: factCount.describe('facts written'),
    summary: 'Writes the whole graph to a JSON file inside <state root>/memory/.',
  },
  'memory.load': {
    params: loadParams,
    result: factCount.describe('facts loaded'),
    summary: 'Replaces the graph with a file from <state root>/memory/; into the shared graph it needs an approval.',
  },
});
