import { copyFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { encodeNamespace } from '../../src/daemon/memgine/namespace.js';
import { graphRange, SQL } from '../../src/daemon/memgine/schema.js';
import { factDigest } from '../../src/daemon/memgine/sqlite-memgine.js';
import { tempStateRoot } from '../../test/helpers/paths.js';
import { atLeast, atMost, reported, type BenchRow, type BenchSection } from '../harness.js';
import { buildFactFiles } from '../support/fact-files.js';
import { openSockets } from '../support/load.js';
import { Corpus, K, rawQueryRunner, timeAlternately, wsQueryRunner } from '../support/memory-workload.js';
import { startPeer } from '../support/peers.js';
import { stemmedRanking } from '../support/stemmed-ranking.js';
import { startDaemon } from '../support/processes.js';

const NAMESPACE = 'bench';
const CORPUS_SEED = 42;
const FACTS = 100_000;
/** Facts the graph holds before the adds are timed: the rate is measured on its last 20k facts. */
const PREBUILT = 80_000;
const QUERIES = 1000;
const WARMUP_QUERIES = 50;
const IN_FLIGHT = 64;

/**
 * `memory.query` latency and `memory.add_fact` rate at 100k facts through a real daemon
 * (namespace graph in its WAL file), each against the same SQL on a raw better-sqlite3
 * connection in the same run: queries on the daemon's own database file, in this process and
 * behind a bare ws server in a process of its own; the last 20k adds
 * against inserting the same facts into a copy of the same 80k-fact file (built beforehand,
 * in a process of its own, while sections that time nothing run).
 */
const section: BenchSection<{ dir: string; stateRoot: string }> = {
  name: 'memory',
  async prepare() {
    const dir = tempStateRoot('car-bench-memory-');
    return { dir, stateRoot: (await buildFactFiles(dir, NAMESPACE, CORPUS_SEED, [PREBUILT])).get(PREBUILT)! };
  },
  async run({ dir, stateRoot }) {
    // The prebuilt facts' vocabulary, with draws of its own.
    const corpus = new Corpus(CORPUS_SEED, CORPUS_SEED + 1);
    const facts = Array.from({ length: FACTS - PREBUILT }, () => corpus.fact());
    const workloads = {
      'sentence queries': Array.from({ length: WARMUP_QUERIES + QUERIES }, () => corpus.sentenceQuery()),
      'two-keyword queries': Array.from({ length: WARMUP_QUERIES + QUERIES }, () => corpus.keywordQuery()),
    };
    const daemonFile = join(stateRoot, 'db', 'memory.sqlite');

    // The raw inserts block this process for seconds, so they run before the daemon starts:
    // a connection held across them would miss the daemon's pings and be dropped.
    const rawFile = join(dir, 'raw.sqlite');
    copyFileSync(daemonFile, rawFile);
    const raw = new Database(rawFile);
    raw.pragma('synchronous = NORMAL');
    const rawAddRate = rawInsertRate(raw, facts);
    raw.close();

    const daemon = await startDaemon({ stateRoot });
    try {
      const client = await daemon.connect({ memoryNamespace: NAMESPACE });
      const addStart = performance.now();
      await pipelined(facts.length, IN_FLIGHT, (i) =>
        client.call('memory.add_fact', { subject: facts[i]!.subject, body: facts[i]!.body, kind: 'fact' }, { timeoutMs: 60_000 }),
      );
      const daemonAddRate = facts.length / ((performance.now() - addStart) / 1000);
      if ((await client.call('memory.fact_count', {})) !== FACTS) throw new Error('the daemon did not store every bench fact');

      // The raw side reads the daemon's own file, so both query literally the same database.
      const sameFile = new Database(daemonFile, { readonly: true });
      const rawQuery = rawQueryRunner(sameFile, NAMESPACE);
      const daemonQuery = (text: string) => client.call('memory.query', { query: text, k: K });
      const rows: BenchRow[] = [];
      for (const [workload, queries] of Object.entries(workloads)) {
        const { ours, baseline } = await timeAlternately(queries, WARMUP_QUERIES, daemonQuery, rawQuery);
        // Issue 26: these ratios price the process boundary's round trip on this VM as much as the
        // daemon (1.25-1.66x for sentence queries in twelve runs, while the daemon was 1.03x a bare
        // ws server on the same SQL), so the bars are held against that server (below).
        rows.push(reported(`memory.query p50, ${workload}, k=${K}, vs the same SQL in this process`, 'ms', ours.p50, baseline.p50));
        rows.push(reported(`memory.query p99, ${workload}, k=${K}, vs the same SQL in this process`, 'ms', ours.p99, baseline.p99));
      }
      // What the daemon itself adds, apart from crossing a process boundary: the same statements
      // behind a bare ws server in its own process, on the same file.
      const peer = await startPeer('fts5-ws', 'memory.query', { file: join(daemon.stateRoot, 'db', 'memory.sqlite'), namespace: NAMESPACE });
      const [socket] = await openSockets(peer.url, 1);
      // One runner for both workloads: a second one would add a listener that parses every bare reply again.
      const bareQuery = wsQueryRunner(socket!);
      try {
        for (const [workload, queries] of Object.entries(workloads)) {
          const { ours, baseline } = await timeAlternately(queries, WARMUP_QUERIES, daemonQuery, bareQuery);
          rows.push(atMost(`memory.query p50, ${workload}, vs the same SQL behind a bare ws server`, 'ms', ours.p50, baseline.p50, 1.15));
          rows.push(atMost(`memory.query p99, ${workload}, vs the same SQL behind a bare ws server`, 'ms', ours.p99, baseline.p99, 1.5));
        }
      } finally {
        socket!.close();
        peer.stop();
      }
      sameFile.close();
      client.close();

      rows.push(
        atLeast(`memory.add_fact rate from ${PREBUILT / 1000}k to ${FACTS / 1000}k facts, ${IN_FLIGHT} in flight`, 'facts/s', daemonAddRate, rawAddRate, 0.67),
      );
      rows.push(...stemmedRanking());
      return rows;
    } finally {
      await daemon.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  },
};
export default section;

/**
 * One autocommit INSERT per fact, after the graph's newest: plain better-sqlite3 use. The
 * daemon instead commits the adds that arrive in one event-loop turn together (group commit).
 */
function rawInsertRate(db: Database.Database, facts: { subject: string; body: string }[]): number {
  const insert = db.prepare(SQL.insertFact);
  const { id: graph } = db.prepare(SQL.graphByName).get(`ns:${encodeNamespace(NAMESPACE)}`) as { id: number };
  const { low, high } = graphRange(graph);
  const { seq } = db.prepare(SQL.maxSeq).get(low, high) as { seq: number };
  const createdAt = new Date().toISOString();
  const start = performance.now();
  facts.forEach(({ subject, body }, i) => {
    insert.run({
      seq: seq + i + 1,
      graph,
      id: `raw-${i}`,
      subject,
      body,
      kind: 'fact',
      confidence: 1,
      source: 'ws',
      created_at: createdAt,
      digest: factDigest(subject, body, 'fact'),
    });
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
