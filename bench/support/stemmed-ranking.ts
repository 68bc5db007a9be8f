import Database from 'better-sqlite3';
import { graphRange, SCHEMA_SQL, SQL } from '../../src/daemon/memgine/schema.js';
import { factDigest } from '../../src/daemon/memgine/sqlite-memgine.js';
import { reported, type BenchRow } from '../harness.js';
import { Corpus, K, rawQueryRunner } from './memory-workload.js';

const FACTS = 20_000;
const QUERIES = 300;
const NAMESPACE = 'ranking';

/**
 * Issue 27's ranking check: the memory bench's own corpus and queries, ranked by the engine's
 * statements over the Porter index (schema 2) and over whole words (schema 1's `unicode61`).
 * Rows: how much of the whole-word top k the stemmed top k keeps, and how often the
 * whole-word best hit stays in it; both against 1, the same ranking.
 */
export function stemmedRanking(): BenchRow[] {
  const corpus = new Corpus(7);
  const facts = Array.from({ length: FACTS }, () => corpus.fact());
  const workloads = {
    'sentence queries': Array.from({ length: QUERIES }, () => corpus.sentenceQuery()),
    'two-keyword queries': Array.from({ length: QUERIES }, () => corpus.keywordQuery()),
  };
  const stemmed = filled(SCHEMA_SQL, facts);
  const wholeWordSchema = SCHEMA_SQL.replace("tokenize='porter unicode61", "tokenize='unicode61");
  if (wholeWordSchema === SCHEMA_SQL) throw new Error('the schema no longer names the Porter tokenizer; update the ranking check');
  const whole = filled(wholeWordSchema, facts);
  const rows: BenchRow[] = [];
  for (const [workload, queries] of Object.entries(workloads)) {
    const [ranked, baseline] = [rawQueryRunner(stemmed, NAMESPACE), rawQueryRunner(whole, NAMESPACE)];
    let kept = 0;
    let bestKept = 0;
    let answered = 0;
    for (const text of queries) {
      const ids = (hits: unknown[]) => (hits as { id: string }[]).slice(0, K).map((hit) => hit.id);
      const [ours, theirs] = [ids(ranked(text)), ids(baseline(text))];
      if (theirs.length === 0) continue;
      answered++;
      kept += theirs.filter((id) => ours.includes(id)).length / theirs.length;
      if (ours.includes(theirs[0]!)) bestKept++;
    }
    rows.push(reported(`Porter index keeps of the whole-word top ${K}, ${workload} (${answered} answered, ${FACTS} facts)`, 'share', kept / answered, 1));
    rows.push(reported(`Porter index keeps the whole-word best hit in its top ${K}, ${workload}`, 'share', bestKept / answered, 1));
  }
  stemmed.close();
  whole.close();
  return rows;
}

function filled(schema: string, facts: { subject: string; body: string }[]): Database.Database {
  const db = new Database(':memory:');
  db.exec(schema);
  db.prepare(SQL.insertGraph).run(1, `ns:${NAMESPACE}`);
  const insert = db.prepare(SQL.insertFact);
  const { low } = graphRange(1);
  db.transaction(() => {
    facts.forEach((fact, i) => {
      insert.run({
        seq: low + i + 1,
        graph: 1,
        id: `f${i}`,
        subject: fact.subject,
        body: fact.body,
        kind: 'fact',
        confidence: 1,
        source: 'ws',
        created_at: '2026-01-01T00:00:00.000Z',
        digest: factDigest(fact.subject, fact.body, 'fact'),
      });
    });
  })();
  return db;
}
