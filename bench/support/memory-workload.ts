import type Database from 'better-sqlite3';
import type WebSocket from 'ws';
import { matchAll, matchAny, queryTerms } from '../../src/daemon/memgine/fts.js';
import { encodeNamespace } from '../../src/daemon/memgine/namespace.js';
import { graphRange, SQL } from '../../src/daemon/memgine/schema.js';
import { STOPWORDS } from '../../src/daemon/memgine/stopwords.js';
import { summarize } from '../harness.js';

/** Shared by the memory sections: the corpus, the raw FTS5 baseline and the alternating timer. */

export const K = 5;
const VOCABULARY = 4000;
/** Keyword queries pick two content words of middling frequency. */
const KEYWORD_RANKS = [STOPWORDS.length, STOPWORDS.length + 400] as const;

/** The same two statements the engine runs on the namespace's rowid range: every word first, then any word to fill k. */
export function rawQueryRunner(db: Database.Database, namespace: string): (text: string) => unknown[] {
  const rank = db.prepare(SQL.rank);
  const { id } = db.prepare(SQL.graphByName).get(`ns:${encodeNamespace(namespace)}`) as { id: number };
  const { low, high } = graphRange(id);
  return (text) => {
    const terms = queryTerms(text);
    const hits = rank.all(matchAll(terms), low, high, K);
    return hits.length === K || terms.length === 1 ? hits : hits.concat(rank.all(matchAny(terms), low, high, K));
  };
}

/** One request at a time to a plain JSON-RPC server on an open socket (the `fts5-ws` peer). */
export function wsQueryRunner(ws: WebSocket): (text: string) => Promise<unknown> {
  let nextId = 0;
  const waiting = new Map<number, (result: unknown) => void>();
  ws.on('message', (data: Buffer) => {
    const reply = JSON.parse(data.toString()) as { id: number; result: unknown };
    waiting.get(reply.id)?.(reply.result);
    waiting.delete(reply.id);
  });
  return (text) =>
    new Promise((resolve) => {
      const id = ++nextId;
      waiting.set(id, resolve);
      ws.send(JSON.stringify({ jsonrpc: '2.0', id, method: 'memory.query', params: { query: text, k: K } }));
    });
}

/**
 * Each query through the daemon and raw back to back, so both meet the same load on a
 * shared machine; which goes first alternates, since the second finds the pages cached.
 */
export async function timeAlternately(queries: string[], warmup: number, daemonQuery: (text: string) => Promise<unknown>, rawQuery: (text: string) => unknown) {
  const ours: number[] = [];
  const baseline: number[] = [];
  const timed = async (run: () => unknown) => {
    const start = performance.now();
    await run();
    return performance.now() - start;
  };
  for (const [index, text] of queries.entries()) {
    const daemonFirst = index % 2 === 0;
    const first = await timed(() => (daemonFirst ? daemonQuery(text) : rawQuery(text)));
    const second = await timed(() => (daemonFirst ? rawQuery(text) : daemonQuery(text)));
    if (index < warmup) continue;
    ours.push(daemonFirst ? first : second);
    baseline.push(daemonFirst ? second : first);
  }
  return { ours: summarize(ours), baseline: summarize(baseline) };
}

/**
 * Deterministic English-like facts: words drawn with Zipf frequencies, the most frequent
 * ranks being English function words and the rest invented content words.
 */
export class Corpus {
  private state: number;
  private readonly words: string[];
  private readonly cumulative: number[];

  /** The vocabulary comes from `seed`; the facts and queries drawn afterwards from `drawSeed` (default: the same stream), so another process can draw queries over the same words. */
  constructor(seed: number, drawSeed?: number) {
    this.state = seed;
    const syllables = ['ka', 'lo', 'mi', 'ne', 'ru', 'sa', 'to', 'vi', 'de', 'po', 'an', 'el', 'is', 'or', 'ub', 'ze'];
    const words = new Set<string>(STOPWORDS);
    while (words.size < VOCABULARY) {
      const length = 2 + Math.floor(this.random() * 2);
      words.add(Array.from({ length }, () => syllables[Math.floor(this.random() * syllables.length)]).join(''));
    }
    this.words = [...words];
    let total = 0;
    this.cumulative = this.words.map((_, rank) => (total += 1 / (rank + 1)));
    if (drawSeed !== undefined) this.state = drawSeed;
  }

  fact(): { subject: string; body: string } {
    return { subject: this.sentence(2 + this.int(2)), body: this.sentence(12 + this.int(19)) };
  }

  /** A question-like sentence of 4-8 words, function words included. */
  sentenceQuery(): string {
    return this.sentence(4 + this.int(5));
  }

  keywordQuery(): string {
    const [from, to] = KEYWORD_RANKS;
    return [0, 1].map(() => this.words[from + this.int(to - from)]).join(' ');
  }

  private sentence(length: number): string {
    return Array.from({ length }, () => this.zipfWord()).join(' ');
  }

  private zipfWord(): string {
    const target = this.random() * this.cumulative.at(-1)!;
    let low = 0;
    let high = this.cumulative.length - 1;
    while (low < high) {
      const middle = (low + high) >> 1;
      if (this.cumulative[middle]! < target) low = middle + 1;
      else high = middle;
    }
    return this.words[low]!;
  }

  private int(below: number): number {
    return Math.floor(this.random() * below);
  }

  /** mulberry32 */
  private random(): number {
    this.state = (this.state + 0x6d2b79f5) | 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
}
