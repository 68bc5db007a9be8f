/** The memory engine contract (docs/protocol.md#namespace-memory). Embedders may pass their own implementation as the shared engine. */
import type { FactKind, FactSource } from '../../protocol/memory.js';

export type { FactKind, FactSource };

export interface Fact {
  id: string;
  subject: string;
  body: string;
  kind: FactKind;
  constraint: boolean;
  confidence: number;
  source: FactSource;
  created_at: string;
}

export interface NewFact {
  id?: string;
  subject: string;
  body: string;
  kind?: FactKind;
  confidence?: number;
  source?: FactSource;
  created_at?: string;
}

export interface ScoredFact extends Fact {
  score: number;
}

export interface QueryOptions {
  /** Only facts of these kinds; all kinds when absent. */
  kinds?: readonly FactKind[];
}

export interface Memgine {
  /**
   * Adds a fact; an identical `(subject, body, kind)` is not duplicated and its id is returned
   * with `created: false`. Throws when `fact.id` is already taken by a different fact.
   */
  addFact(fact: NewFact): { id: string; fact_count: number; created: boolean };
  /** Best matches first: facts containing every query word before facts containing some; `[]` when the text has no words. */
  query(text: string, k: number, options?: QueryOptions): ScoredFact[];
  /** The newest facts of one kind, newest first. */
  factsOfKind(kind: FactKind, limit: number): Fact[];
  factCount(): number;
  deleteFact(id: string): { deleted: boolean; kind: FactKind | null };
  /** Every fact, oldest first. */
  allFacts(): Fact[];
  /** A page of facts, newest first; engines without it are paged from `allFacts`. */
  listFacts?(limit: number, offset: number): Fact[];
  /** Resets the graph to exactly these facts, all or nothing (used by `memory.load`); returns how many were stored after de-duplication. */
  replaceAll(facts: Fact[]): number;
  /**
   * Resolves once the writes made so far are durable; rejects if they were lost. Engines
   * whose writes are durable when the call returns may leave it out.
   */
  flushed?(): Promise<void>;
}
