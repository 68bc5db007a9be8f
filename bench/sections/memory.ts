import { rmSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { graphRange, SCHEMA_SQL, SQL } from '../../src/daemon/memgine/schema.js';
import { factDigest } from '../../src/daemon/memgine/sqlite-memgine.js';
import { tempStateRoot } from '../../test/helpers/paths.js';
import { atLeast, atMost, reported, type BenchRow, type BenchSection } from '../harness.js';
import { openSockets } from '../support/load.js';
import { Corpus, K, rawQueryRunner, timeAlternately, wsQueryRunner } from '../support/memory-workload.js';
import { startPeer } from '../support/peers.js';
import { stemmedRanking } from '../support/stemmed-ranking.js';
import { startDaemon } from '../support/processes.js';

const NAMESPACE = 'bench';
const FACTS = 100_000;
const QUERIES = 1000;
const WARMUP_QUERIES = 50;
const IN_FLIGHT = 64;

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

    // The raw inserts block this process for many seconds, so they run before the daemon starts:
    // a connection held across them would miss the daemon's pings and be dropped.
    const rawDir = tempStateRoot('car-bench-raw-');
    const raw = openRawDatabase(join(rawDir, 'memory.sqlite'));
    const rawAddRate = rawInsertRate(raw, facts);
    raw.close();
    rmSync(rawDir, { recursive: true, force: true });

    const daemon = await startDaemon();
    try {
      const client = await daemon.connect({ memoryNamespace: NAMESPACE });
      const addStart = performance.now();
      await pipelined(FACTS, IN_FLIGHT, (i) => client.call('memory.add_fact', { subject: facts[i]!.subject, body: facts[i]!.body, kind: 'fact' }, { timeoutMs: 60_000 }));
      const daemonAddRate = FACTS / ((performance.now() - addStart) / 1000);
      if ((await client.call('memory.fact_count', {})) !== FACTS) throw new Error('the daemon did not store every bench fact');

      // The raw side reads the daemon's own file, so both query literally the same database.
      const sameFile = new Database(join(daemon.stateRoot, 'db', 'memory.sqlite'), { readonly: true });
      const rawQuery = rawQueryRunner(sameFile, NAMESPACE);
      const daemonQuery = (text: string) => client.call('memory.query', { query: text, k: K });
      const rows: BenchRow[] = [];
      for (const [workload, queries] of Object.entries(workloads)) {
        const { ours, baseline } = await timeAlternately(queries, WARMUP_QUERIES, daemonQuery, rawQuery);
        rows.push(atMost(`memory.query p50, ${workload}, k=${K}`, 'ms', ours.p50, baseline.p50, 1.5));
        rows.push(atMost(`memory.query p99, ${workload}, k=${K}`, 'ms', ours.p99, baseline.p99, 1.5));
      }
      // What the daemon itself adds, apart from crossing a process boundary: the same statements
      // behind a bare ws server in its own process, on the same file.
      const peer = await startPeer('fts5-ws', 'memory.query', { file: join(daemon.stateRoot, 'db', 'memory.sqlite'), namespace: NAMESPACE });
      const [socket] = await openSockets(peer.url, 1);
      try {
        const { ours, baseline } = await timeAlternately(workloads['two-keyword queries'], WARMUP_QUERIES, daemonQuery, wsQueryRunner(socket!));
        rows.push(reported(`memory.query p50, two-keyword queries, vs the same SQL behind a bare ws server`, 'ms', ours.p50, baseline.p50));
        rows.push(reported(`memory.query p99, two-keyword queries, vs the same SQL behind a bare ws server`, 'ms', ours.p99, baseline.p99));
      } finally {
        socket!.close();
        peer.stop();
      }
      sameFile.close();
      client.close();

      rows.push(atLeast(`memory.add_fact rate up to ${FACTS / 1000}k facts, ${IN_FLIGHT} in flight`, 'facts/s', daemonAddRate, rawAddRate, 0.67));
      rows.push(...stemmedRanking());
      return rows;
    } finally {
      await daemon.stop();
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

async function pipelined(count: number, inFlight: number, send: (index: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (next < count) await send(next++);
  };
  await Promise.all(Array.from({ length: inFlight }, lane));
}
