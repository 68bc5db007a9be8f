/** The memory engine contract (PROTOCOL.md §14). Embedders may pass their own implementation as the shared engine. */
export type FactKind = 'pattern' | 'constraint' | 'fact' | 'preference' | 'conversation';
export type FactSource = 'ws' | 'meeting' | 'load';

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

export interface Memgine {
  /** Adds a fact; an identical `(subject, body, kind)` is not duplicated and its id is returned. */
  addFact(fact: NewFact): { id: string; fact_count: number };
  /** Best matches first. */
  query(text: string, k: number): ScoredFact[];
  factCount(): number;
  deleteFact(id: string): { deleted: boolean; kind: FactKind | null };
  allFacts(): Fact[];
  /** Resets the graph to exactly these facts (used by `memory.load`). */
  replaceAll(facts: Fact[]): void;
}
