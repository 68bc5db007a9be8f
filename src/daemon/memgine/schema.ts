/**
 * The SQLite layout of the memory engine. Every graph's facts occupy one rowid range
 * (`graph id × GRAPH_SPAN` onwards), so an FTS5 query is confined to a graph by a rowid
 * range the index seeks to directly, and rowid order inside a graph is insertion order
 * (the recency tie-break). The FTS5 table is contentless: bodies are stored once, in `facts`.
 * Words are indexed by their Porter stems (schema 2), so "deployment" finds "we deploy".
 */
export const SCHEMA_VERSION = 2;
export const GRAPH_SPAN = 2 ** 32;
/** Keeps every rowid below 2^53, exact in a JS number. */
export const MAX_GRAPH_ID = 2 ** 20;

/** Porter stems over unicode61's words (case and diacritics folded). */
const TOKENIZER = 'porter unicode61 remove_diacritics 2';

export const SCHEMA_SQL = `
CREATE TABLE IF NOT EXISTS graphs (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE
);
CREATE TABLE IF NOT EXISTS facts (
  seq INTEGER PRIMARY KEY,
  graph INTEGER NOT NULL,
  id TEXT NOT NULL,
  subject TEXT NOT NULL,
  body TEXT NOT NULL,
  kind TEXT NOT NULL,
  confidence REAL NOT NULL,
  source TEXT NOT NULL,
  created_at TEXT NOT NULL,
  digest BLOB NOT NULL,
  UNIQUE (graph, id),
  UNIQUE (graph, digest)
);
CREATE INDEX IF NOT EXISTS facts_by_kind ON facts (graph, kind, seq);
CREATE VIRTUAL TABLE IF NOT EXISTS facts_fts USING fts5(subject, body, content='', contentless_delete=1, tokenize='${TOKENIZER}');
CREATE TRIGGER IF NOT EXISTS facts_indexed AFTER INSERT ON facts BEGIN
  INSERT INTO facts_fts (rowid, subject, body) VALUES (new.seq, new.subject, new.body);
END;
CREATE TRIGGER IF NOT EXISTS facts_unindexed AFTER DELETE ON facts BEGIN
  DELETE FROM facts_fts WHERE rowid = old.seq;
END;
`;

/**
 * Schema 1 indexed whole words: its index is rebuilt from `facts` with the Porter tokenizer
 * (a contentless index cannot be re-tokenised in place). Run in one transaction with the
 * version bump, so a crash leaves schema 1 or schema 2, never a half-built index.
 */
export const MIGRATE_1_TO_2_SQL = `
DROP TABLE facts_fts;
CREATE VIRTUAL TABLE facts_fts USING fts5(subject, body, content='', contentless_delete=1, tokenize='${TOKENIZER}');
INSERT INTO facts_fts (rowid, subject, body) SELECT seq, subject, body FROM facts;
`;

const FACT_COLUMNS = 'f.id, f.subject, f.body, f.kind, f.confidence, f.source, f.created_at';
/** Subject words weigh twice as much as body words. */
const BM25 = 'bm25(facts_fts, 2.0, 1.0)';

/** Every statement the engine runs; the bench runs the same text on a raw connection. */
export const SQL = {
  insertFact: `INSERT OR IGNORE INTO facts (seq, graph, id, subject, body, kind, confidence, source, created_at, digest)
    VALUES (@seq, @graph, @id, @subject, @body, @kind, @confidence, @source, @created_at, @digest)`,
  /** Params: match, low, high, limit. Best first; equal scores newest first. */
  rank: `SELECT ${FACT_COLUMNS}, -m.score AS score
    FROM (SELECT rowid, ${BM25} AS score FROM facts_fts
          WHERE facts_fts MATCH ? AND rowid BETWEEN ? AND ?
          ORDER BY score, rowid DESC LIMIT ?) AS m
    JOIN facts f ON f.seq = m.rowid
    ORDER BY m.score, m.rowid DESC`,
  /** Params: match, low, high, kinds (JSON array), limit. */
  rankOfKinds: `SELECT ${FACT_COLUMNS}, -${BM25} AS score
    FROM facts_fts JOIN facts f ON f.seq = facts_fts.rowid
    WHERE facts_fts MATCH ? AND facts_fts.rowid BETWEEN ? AND ? AND f.kind IN (SELECT value FROM json_each(?))
    ORDER BY ${BM25}, facts_fts.rowid DESC LIMIT ?`,
  idByDigest: 'SELECT id FROM facts WHERE graph = ? AND digest = ?',
  deleteById: 'DELETE FROM facts WHERE graph = ? AND id = ? RETURNING kind',
  deleteRange: 'DELETE FROM facts WHERE seq BETWEEN ? AND ?',
  count: 'SELECT count(*) AS n FROM facts WHERE graph = ?',
  maxSeq: 'SELECT max(seq) AS seq FROM facts WHERE seq BETWEEN ? AND ?',
  ofKind: `SELECT ${FACT_COLUMNS} FROM facts f WHERE f.graph = ? AND f.kind = ? ORDER BY f.seq DESC LIMIT ?`,
  all: `SELECT ${FACT_COLUMNS} FROM facts f WHERE f.seq BETWEEN ? AND ? ORDER BY f.seq`,
  page: `SELECT ${FACT_COLUMNS} FROM facts f WHERE f.seq BETWEEN ? AND ? ORDER BY f.seq DESC LIMIT ? OFFSET ?`,
  graphByName: 'SELECT id FROM graphs WHERE name = ?',
  graphNames: 'SELECT name FROM graphs ORDER BY id',
  /** The smallest free graph id, so ids stay small however many private graphs come and go. */
  freeGraphId: `SELECT CASE WHEN NOT EXISTS (SELECT 1 FROM graphs WHERE id = 1) THEN 1
    ELSE (SELECT min(g.id) + 1 FROM graphs g WHERE NOT EXISTS (SELECT 1 FROM graphs h WHERE h.id = g.id + 1)) END AS id`,
  insertGraph: 'INSERT INTO graphs (id, name) VALUES (?, ?)',
  deleteGraph: 'DELETE FROM graphs WHERE id = ?',
} as const;

/** The rowid range `[low, high]` holding one graph's facts. */
export const graphRange = (graphId: number): { low: number; high: number } => ({ low: graphId * GRAPH_SPAN, high: (graphId + 1) * GRAPH_SPAN - 1 });
