import { rmSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { encodeNamespace } from '../../src/daemon/memgine/namespace.js';
import { graphRange, SQL } from '../../src/daemon/memgine/schema.js';
import { factDigest } from '../../src/daemon/memgine/sqlite-memgine.js';
import { reported, type BenchRow, type BenchSection } from '../harness.js';
import { Corpus, K, rawQueryRunner, timeAlternately } from '../support/memory-workload.js';
import { startDaemon } from '../support/processes.js';

const NAMESPACE = 'bench';
const SIZES = [10_000, 100_000, 1_000_000];
const QUERIES = 300;
const WARMUP_QUERIES = 30;

/**
 * How `memory.query` grows with the graph: p50/p99 at 10k, 100k and 1M facts through the
 * daemon against the same statements on a raw connection to the same file. The graph is
 * grown between sizes by bulk inserts in one transaction per step on a raw connection (one
 * build serves both sides, and 1M facts through `memory.add_fact` would take minutes).
 */
const section: BenchSection = {
  name: 'memory-growth',
  async run() {
    const rows: BenchRow[] = [];
    const corpus = new Corpus(7);
    const daemon = await startDaemon();
    try {
      const first = await daemon.connect({ memoryNamespace: NAMESPACE });
      // Creates the namespace's graph the way a user would.
      await first.call('memory.add_fact', { subject: 'bench', body: 'the first fact of the growth bench', kind: 'fact' });
      // The build blocks this process for minutes: a connection held across it would miss the daemon's pings and be dropped.
      first.close();
      const db = new Database(join(daemon.stateRoot, 'db', 'memory.sqlite'));
      const rawQuery = rawQueryRunner(db, NAMESPACE);
      let facts = 1;
      for (const size of SIZES) {
        const started = performance.now();
        bulkInsert(join(daemon.stateRoot, 'db', 'memory.sqlite'), corpus, size - facts);
        facts = size;
        process.stderr.write(`  ${size.toLocaleString('en')} facts built in ${((performance.now() - started) / 1000).toFixed(1)} s\n`);
        const client = await daemon.connect({ memoryNamespace: NAMESPACE });
        const daemonQuery = (text: string) => client.call('memory.query', { query: text, k: K });
        for (const [workload, next] of [['two-keyword', () => corpus.keywordQuery()], ['sentence', () => corpus.sentenceQuery()]] as const) {
          const queries = Array.from({ length: WARMUP_QUERIES + QUERIES }, next);
          const { ours, baseline } = await timeAlternately(queries, WARMUP_QUERIES, daemonQuery, rawQuery);
          const label = `${size / 1000}k facts`.replace('1000k', '1M');
          rows.push(reported(`memory.query p50, ${workload}, ${label} (vs raw FTS5)`, 'ms', ours.p50, baseline.p50));
          rows.push(reported(`memory.query p99, ${workload}, ${label} (vs raw FTS5)`, 'ms', ours.p99, baseline.p99));
        }
        client.close();
      }
      db.close();
    } finally {
      await daemon.stop();
      rmSync(daemon.stateRoot, { recursive: true, force: true });
    }
    return rows;
  },
};
export default section;

/**
 * Appends `count` corpus facts to the namespace's graph in one transaction, after its newest
 * fact, on a connection of its own with a large page cache (the transaction would otherwise
 * spill its FTS5 segments to the WAL page by page); the querying connection keeps the defaults.
 */
function bulkInsert(file: string, corpus: Corpus, count: number): void {
  const db = new Database(file);
  db.pragma('cache_size = -1048576');
  const { id: graph } = db.prepare(SQL.graphByName).get(`ns:${encodeNamespace(NAMESPACE)}`) as { id: number };
  const { low, high } = graphRange(graph);
  const { seq } = db.prepare(SQL.maxSeq).get(low, high) as { seq: number };
  const insert = db.prepare(SQL.insertFact);
  const createdAt = new Date().toISOString();
  db.transaction(() => {
    for (let i = 1; i <= count; i++) {
      const { subject, body } = corpus.fact();
      insert.run({ seq: seq + i, graph, id: `bulk-${seq + i}`, subject, body, kind: 'fact', confidence: 1, source: 'load', created_at: createdAt, digest: factDigest(subject, body, 'fact') });
    }
  })();
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.close();
}
