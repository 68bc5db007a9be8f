import { createHash } from 'node:crypto';
import type { Database, Statement } from 'better-sqlite3';
import { conflict, limitExceeded } from '../../protocol/errors.js';
import { matchAll, matchAny, queryTerms } from './fts.js';
import type { GroupCommit } from './group-commit.js';
import type { Fact, FactKind, FactSource, Memgine, NewFact, QueryOptions, ScoredFact } from './memgine.js';
import { graphRange, SQL } from './schema.js';
import { randomHex } from '../ids.js';

export type Statements = { [K in keyof typeof SQL]: Statement };

export const prepareStatements = (db: Database): Statements =>
  Object.fromEntries(Object.entries(SQL).map(([name, text]) => [name, db.prepare(text)])) as Statements;

/** Identical facts share a digest; JSON keeps the three fields unambiguous whatever characters they hold. */
export const factDigest = (subject: string, body: string, kind: FactKind): Buffer =>
  createHash('sha256')
    .update(JSON.stringify([kind, subject, body]))
    .digest();

const ID_PREFIX: Record<FactSource, string> = { ws: 'ws', meeting: 'mtg', load: 'load' };
const newFactId = (source: FactSource) => `${ID_PREFIX[source]}-${randomHex(6)}`;

/** A fact's confidence (docs/protocol.md#type-memoryfact): explicit facts are certain; transcript facts are what a recogniser heard. */
const defaultConfidence = (source: FactSource) => (source === 'meeting' ? 0.8 : 1.0);

type FactRow = Omit<Fact, 'constraint'>;
type InsertRow = FactRow & { seq: number; graph: number; digest: Buffer };

// Spelled out rather than spread: a query's hits are built on every call, and copying known fields is the cheaper path in V8.
const toFact = ({ id, subject, body, kind, confidence, source, created_at }: FactRow): Fact => ({
  id,
  subject,
  body,
  kind,
  constraint: kind === 'constraint',
  confidence,
  source,
  created_at,
});
const toScored = (row: FactRow & { score: number }): ScoredFact => Object.assign(toFact(row), { score: row.score });

/** One graph inside a `MemoryStore` database. */
export class SqliteMemgine implements Memgine {
  private readonly low: number;
  private readonly high: number;
  /** Cached so `add_fact` never counts a large graph; `null` means "read it again". */
  private count: number | null = null;
  private nextSeq: number | null = null;

  constructor(
    private readonly db: Database,
    private readonly sql: Statements,
    readonly graphId: number,
    private readonly commits: GroupCommit,
  ) {
    ({ low: this.low, high: this.high } = graphRange(graphId));
  }

  addFact(fact: NewFact): { id: string; fact_count: number; created: boolean } {
    const before = this.factCount();
    const kind = fact.kind ?? 'pattern';
    const source = fact.source ?? 'ws';
    const row = {
      subject: fact.subject,
      body: fact.body,
      kind,
      confidence: fact.confidence ?? defaultConfidence(source),
      source,
      created_at: fact.created_at ?? new Date().toISOString(),
    };
    for (;;) {
      const id = fact.id ?? newFactId(source);
      const outcome = this.insert({ ...row, id });
      if (outcome.kind === 'created') {
        this.count = before + 1;
        return { id, fact_count: this.count, created: true };
      }
      if (outcome.kind === 'duplicate') return { id: outcome.id, fact_count: before, created: false };
      // A generated id that collided is simply drawn again.
      if (fact.id !== undefined) throw idTaken(fact.id);
    }
  }

  query(text: string, k: number, options: QueryOptions = {}): ScoredFact[] {
    const terms = queryTerms(text);
    if (terms.length === 0) return [];
    const hits = this.rank(matchAll(terms), k, options.kinds);
    if (hits.length === k || terms.length === 1) return hits;
    // Facts holding only some of the words rank after every fact holding all of them.
    const seen = new Set(hits.map((hit) => hit.id));
    for (const hit of this.rank(matchAny(terms), k, options.kinds)) {
      if (hits.length === k) break;
      if (!seen.has(hit.id)) hits.push(hit);
    }
    return hits;
  }

  factsOfKind(kind: FactKind, limit: number): Fact[] {
    return (this.sql.ofKind.all(this.graphId, kind, limit) as FactRow[]).map(toFact);
  }

  factCount(): number {
    this.count ??= (this.sql.count.get(this.graphId) as { n: number }).n;
    return this.count;
  }

  deleteFact(id: string): { deleted: boolean; kind: FactKind | null } {
    const before = this.factCount();
    this.commits.join();
    const row = this.sql.deleteById.get(this.graphId, id) as { kind: FactKind } | undefined;
    if (!row) return { deleted: false, kind: null };
    this.count = before - 1;
    return { deleted: true, kind: row.kind };
  }

  allFacts(): Fact[] {
    return (this.sql.all.all(this.low, this.high) as FactRow[]).map(toFact);
  }

  listFacts(limit: number, offset: number): Fact[] {
    return (this.sql.page.all(this.low, this.high, limit, offset) as FactRow[]).map(toFact);
  }

  replaceAll(facts: Fact[]): number {
    this.commits.join();
    const replace = this.db.transaction(() => {
      this.clear();
      for (const fact of facts) {
        const outcome = this.insert(fact);
        if (outcome.kind === 'id_taken') throw idTaken(fact.id);
      }
    });
    try {
      replace();
    } finally {
      this.forgetCaches();
    }
    return this.factCount();
  }

  /** Removes every fact of the graph (the caller drops the graph row). */
  clear(): void {
    this.commits.join();
    this.sql.deleteRange.run(this.low, this.high);
    this.forgetCaches();
  }

  flushed(): Promise<void> {
    return this.commits.committed();
  }

  /** After a rolled-back commit the cached count and next rowid may be wrong. */
  forgetCaches(): void {
    this.count = null;
    this.nextSeq = null;
  }

  private rank(match: string, limit: number, kinds: readonly FactKind[] | undefined): ScoredFact[] {
    const rows = kinds
      ? this.sql.rankOfKinds.all(match, this.low, this.high, JSON.stringify(kinds), limit)
      : this.sql.rank.all(match, this.low, this.high, limit);
    return (rows as (FactRow & { score: number })[]).map(toScored);
  }

  private insert(fact: FactRow): { kind: 'created' } | { kind: 'duplicate'; id: string } | { kind: 'id_taken' } {
    const seq = this.peekSeq();
    const digest = factDigest(fact.subject, fact.body, fact.kind);
    this.commits.join();
    const { id, subject, body, kind, confidence, source, created_at } = fact;
    const row: InsertRow = { id, subject, body, kind, confidence, source, created_at, seq, graph: this.graphId, digest };
    if (this.sql.insertFact.run(row).changes === 1) {
      this.nextSeq = seq + 1;
      return { kind: 'created' };
    }
    const existing = this.sql.idByDigest.get(this.graphId, digest) as { id: string } | undefined;
    return existing ? { kind: 'duplicate', id: existing.id } : { kind: 'id_taken' };
  }

  private peekSeq(): number {
    this.nextSeq ??= ((this.sql.maxSeq.get(this.low, this.high) as { seq: number | null }).seq ?? this.low) + 1;
    if (this.nextSeq > this.high) throw limitExceeded('this memory graph has used up its fact numbers; persist it, then load it back to renumber');
    return this.nextSeq;
  }
}

const idTaken = (id: string) => conflict(`fact id '${id}' is already used by a different fact in this graph; give the fact another id`, { field: 'id' });
