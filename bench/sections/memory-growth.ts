import { rmSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { tempStateRoot } from '../../test/helpers/paths.js';
import { reported, type BenchRow, type BenchSection } from '../harness.js';
import { buildFactFiles } from '../support/fact-files.js';
import { Corpus, K, rawQueryRunner, timeAlternately } from '../support/memory-workload.js';
import { startDaemon } from '../support/processes.js';

const NAMESPACE = 'bench';
const SIZES = [10_000, 100_000, 1_000_000];
const CORPUS_SEED = 7;
const QUERIES = 300;
const WARMUP_QUERIES = 30;

/**
 * How `memory.query` grows with the graph: p50/p99 at 10k, 100k and 1M facts through the
 * daemon against the same statements on a raw connection to the same file. The files are
 * built beforehand in a process of their own (1M facts through `memory.add_fact` would take
 * minutes), while sections that time nothing run; each size gets a daemon of its own.
 */
const section: BenchSection<{ dir: string; stateRoots: Map<number, string> }> = {
  name: 'memory-growth',
  async prepare() {
    const dir = tempStateRoot('car-bench-growth-');
    return { dir, stateRoots: await buildFactFiles(dir, NAMESPACE, CORPUS_SEED, SIZES) };
  },
  async run({ dir, stateRoots }) {
    const rows: BenchRow[] = [];
    // The same vocabulary as the facts, with draws of its own.
    const corpus = new Corpus(CORPUS_SEED, CORPUS_SEED + 1);
    try {
      for (const size of SIZES) {
        const daemon = await startDaemon({ stateRoot: stateRoots.get(size)! });
        const db = new Database(join(daemon.stateRoot, 'db', 'memory.sqlite'), { readonly: true });
        try {
          const rawQuery = rawQueryRunner(db, NAMESPACE);
          const client = await daemon.connect({ memoryNamespace: NAMESPACE });
          const daemonQuery = (text: string) => client.call('memory.query', { query: text, k: K });
          for (const [workload, next] of [
            ['two-keyword', () => corpus.keywordQuery()],
            ['sentence', () => corpus.sentenceQuery()],
          ] as const) {
            const queries = Array.from({ length: WARMUP_QUERIES + QUERIES }, next);
            const { ours, baseline } = await timeAlternately(queries, WARMUP_QUERIES, daemonQuery, rawQuery);
            const label = `${size / 1000}k facts`.replace('1000k', '1M');
            rows.push(reported(`memory.query p50, ${workload}, ${label} (vs raw FTS5)`, 'ms', ours.p50, baseline.p50));
            rows.push(reported(`memory.query p99, ${workload}, ${label} (vs raw FTS5)`, 'ms', ours.p99, baseline.p99));
          }
          client.close();
        } finally {
          db.close();
          await daemon.stop();
        }
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    return rows;
  },
};
export default section;
