import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { MemoryStore } from '../../src/daemon/memgine/memory-store.js';
import { encodeNamespace } from '../../src/daemon/memgine/namespace.js';
import { graphRange, SCHEMA_SQL, SQL } from '../../src/daemon/memgine/schema.js';
import { factDigest } from '../../src/daemon/memgine/sqlite-memgine.js';
import { Corpus } from './memory-workload.js';

/**
 * State roots whose memory database holds one namespace graph of `size` corpus facts each,
 * built by this file run as its own process (`node fact-files.js <dir> <namespace> <seed>
 * <size>…`): the graph is created by the daemon's own MemoryStore, then grown by bulk inserts
 * in one transaction per size, each size's file copied to a state root of its own. Returns
 * the state roots by size.
 */
export async function buildFactFiles(dir: string, namespace: string, seed: number, sizes: number[]): Promise<Map<number, string>> {
  const child = spawn(process.execPath, [fileURLToPath(import.meta.url), dir, namespace, String(seed), ...sizes.map(String)], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const [code] = await once(child, 'exit');
  if (code !== 0) throw new Error(`building the fact files failed (exit ${code})`);
  return new Map(sizes.map((size) => [size, stateRootFor(dir, size)]));
}

const stateRootFor = (dir: string, size: number) => join(dir, `facts-${size}`);
const databaseIn = (stateRoot: string) => join(stateRoot, 'db', 'memory.sqlite');

function build(dir: string, namespace: string, seed: number, sizes: number[]): void {
  const corpus = new Corpus(seed);
  const building = join(dir, 'building');
  mkdirSync(join(building, 'db'), { recursive: true, mode: 0o700 });
  const file = databaseIn(building);
  // The graph is created as the daemon creates it for a namespace's first fact.
  const store = MemoryStore.open(file);
  store.graph(`ns:${encodeNamespace(namespace)}`);
  store.close();
  let facts = 0;
  for (const size of sizes) {
    const started = performance.now();
    bulkInsert(file, namespace, corpus, size - facts);
    facts = size;
    const root = stateRootFor(dir, size);
    mkdirSync(join(root, 'db'), { recursive: true, mode: 0o700 });
    copyFileSync(file, databaseIn(root));
    process.stderr.write(`  ${size.toLocaleString('en')} facts built in ${((performance.now() - started) / 1000).toFixed(1)} s\n`);
  }
}

/**
 * Appends `count` corpus facts to the namespace's graph in one transaction, after its newest
 * fact, with a large page cache, then checkpoints so the file alone holds them. The facts go
 * in without the FTS5 trigger and the index is filled by one INSERT … SELECT before the
 * trigger is restored: measured on 100k facts, 4.4× faster than row by row through the
 * trigger, with the same top-5 ids and scores for 200 queries and the index within 0.4 % of
 * the size.
 */
function bulkInsert(file: string, namespace: string, corpus: Corpus, count: number): void {
  const db = new Database(file);
  db.pragma('cache_size = -1048576');
  const { id: graph } = db.prepare(SQL.graphByName).get(`ns:${encodeNamespace(namespace)}`) as { id: number };
  const { low, high } = graphRange(graph);
  const seq = (db.prepare(SQL.maxSeq).get(low, high) as { seq: number | null }).seq ?? low;
  const insert = db.prepare(SQL.insertFact);
  const createdAt = new Date().toISOString();
  db.transaction(() => {
    db.exec('DROP TRIGGER facts_indexed');
    for (let i = 1; i <= count; i++) {
      const { subject, body } = corpus.fact();
      insert.run({
        seq: seq + i,
        graph,
        id: `bulk-${seq + i}`,
        subject,
        body,
        kind: 'fact',
        confidence: 1,
        source: 'load',
        created_at: createdAt,
        digest: factDigest(subject, body, 'fact'),
      });
    }
    db.prepare('INSERT INTO facts_fts (rowid, subject, body) SELECT seq, subject, body FROM facts WHERE seq > ? AND seq <= ?').run(seq, seq + count);
    db.exec(SCHEMA_SQL);
  })();
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.close();
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [dir, namespace, seed, ...sizes] = process.argv.slice(2);
  build(dir!, namespace!, Number(seed), sizes.map(Number));
}
