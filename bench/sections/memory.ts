import { rmSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { matchAll, matchAny, queryTerms } from '../../src/daemon/memgine/fts.js';
import { encodeNamespace } from '../../src/daemon/memgine/namespace.js';
import { graphRange, SCHEMA_SQL, SQL } from '../../src/daemon/memgine/schema.js';
import { factDigest } from '../../src/daemon/memgine/sqlite-memgine.js';
import { STOPWORDS } from '../../src/daemon/memgine/stopwords.js';
import { tempStateRoot } from '../../test/helpers/paths.js';
import { atLeast, atMost, summarize, type BenchRow, type BenchSection } from '../harness.js';
import { startDaemon } from '../support/processes.js';

const NAMESPACE = 'bench';
const FACTS = 100_000;
const QUERIES = 1000;
const WARMUP_QUERIES = 50;
const K = 5;
const IN_FLIGHT = 64;
const VOCABULARY = 4000;
/** Keyword queries pick two content words of middling frequency. */
const KEYWORD_RANKS = [STOPWORDS.length, STOPWORDS.length + 400] as const;

/**
 * `memory.query` latency and `memory.add_fact` rate at 100k facts through a real daemon
 * (namespace graph in its WAL file), each against the same SQL on a raw better-sqlite3
 * connection in the same run: queries on the daemon's own database file, inserts of the
 * same facts into a fresh file with the same schema.
 */
const section: BenchSection = {
  name: 'memory',
  async run() {
    const corpus = new Corpus(42);
    const facts = Array.from({ length: FACTS }, () => corpus.fact());
    const workloads = {
      'sentence queries': Array.from({ length: WARMUP_QUERIES + QUERIES }, () => corpus.sentenceQuery()),
      'two-keyword queries': Array.from({ length: WARMUP_QUERIES + QUERIES }, () => corpus.keywordQuery()),
    };

    const daemon = await startDaemon();
    const rawDir = tempStateRoot('car-bench-raw-');
    const raw = openRawDatabase(join(rawDir, 'memory.sqlite'));
    try {
      const client = await daemon.connect({ memoryNamespace: NAMESPACE });
      const addStart = performance.now();
      await pipelined(FACTS, IN_FLIGHT, (i) => client.call('memory.add_fact', { subject: facts[i]!.subject, body: facts[i]!.body, kind: 'fact' }, { timeoutMs: 60_000 }));
      const daemonAddRate = FACTS / ((performance.now() - addStart) / 1000);
      if ((await client.call('memory.fact_count', {})) !== FACTS) throw new Error('the daemon did not store every bench fact');

      const rawAddRate = rawInsertRate(raw, facts);

      // The raw side reads the daemon's own file, so both query literally the same database.
      const sameFile = new Database(join(daemon.stateRoot, 'db', 'memory.sqlite'), { readonly: true });
      const rawQuery = rawQueryRunner(sameFile, NAMESPACE);
      const daemonQuery = (text: string) => client.call('memory.query', { query: text, k: K });
      const rows: BenchRow[] = [];
      for (const [workload, queries] of Object.entries(workloads)) {
        const { ours, baseline } = await timeAlternately(queries, daemonQuery, rawQuery);
        rows.push(atMost(`memory.query p50, ${workload}, k=${K}`, 'ms', ours.p50, baseline.p50, 1.5));
        rows.push(atMost(`memory.query p99, ${workload}, k=${K}`, 'ms', ours.p99, baseline.p99, 1.5));
      }
      sameFile.close();
      client.close();

      rows.push(atLeast(`memory.add_fact rate up to ${FACTS / 1000}k facts, ${IN_FLIGHT} in flight`, 'facts/s', daemonAddRate, rawAddRate, 0.67));
      return rows;
    } finally {
      raw.close();
      await daemon.stop();
      rmSync(rawDir, { recursive: true, force: true });
      rmSync(daemon.stateRoot, { recursive: true, force: true });
    }
  },
};
export default section;

/** The daemon's schema and pragmas on a plain better-sqlite3 connection, for the insert baseline. */
function openRawDatabase(file: string): Database.Database {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.exec(SCHEMA_SQL);
  return db;
}

/**
 * One autocommit INSERT per fact: plain better-sqlite3 use. The daemon instead commits the
 * adds that arrive in one event-loop turn together (group commit).
 */
function rawInsertRate(db: Database.Database, facts: { subject: string; body: string }[]): number {
  const insert = db.prepare(SQL.insertFact);
  const graph = 1;
  const { low } = graphRange(graph);
  const createdAt = new Date().toISOString();
  const start = performance.now();
  facts.forEach(({ subject, body }, i) => {
    insert.run({ seq: low + i + 1, graph, id: `raw-${i}`, subject, body, kind: 'fact', confidence: 1, source: 'ws', created_at: createdAt, digest: factDigest(subject, body, 'fact') });
  });
  return facts.length / ((performance.now() - start) / 1000);
}

/** The same two statements the engine runs on the namespace's rowid range: every word first, then any word to fill k. */
function rawQueryRunner(db: Database.Database, namespace: string): (text: string) => unknown[] {
  const rank = db.prepare(SQL.rank);
  const { id } = db.prepare(SQL.graphByName).get(`ns:${encodeNamespace(namespace)}`) as { id: number };
  const { low, high } = graphRange(id);
  return (text) => {
    const terms = queryTerms(text);
    const hits = rank.all(matchAll(terms), low, high, K);
    return hits.length === K || terms.length === 1 ? hits : hits.concat(rank.all(matchAny(terms), low, high, K));
  };
}

async function pipelined(count: number, inFlight: number, send: (index: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (next < count) await send(next++);
  };
  await Promise.all(Array.from({ length: inFlight }, lane));
}

/**
 * Each query through the daemon and raw back to back, so both meet the same load on a
 * shared machine; which goes first alternates, since the second finds the pages cached.
 */
async function timeAlternately(queries: string[], daemonQuery: (text: string) => Promise<unknown>, rawQuery: (text: string) => unknown) {
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
    if (index < WARMUP_QUERIES) continue;
    ours.push(daemonFirst ? first : second);
    baseline.push(daemonFirst ? second : first);
  }
  return { ours: summarize(ours), baseline: summarize(baseline) };
}

/**
 * Deterministic English-like facts: words drawn with Zipf frequencies, the most frequent
 * ranks being English function words and the rest invented content words.
 */
class Corpus {
  private state: number;
  private readonly words: string[];
  private readonly cumulative: number[];

  constructor(seed: number) {
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
