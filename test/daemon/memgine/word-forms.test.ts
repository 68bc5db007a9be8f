import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { MemoryStore } from '../../../src/daemon/memgine/memory-store.js';
import { SCHEMA_VERSION } from '../../../src/daemon/memgine/schema.js';
import { tempStateRoot } from '../../helpers/paths.js';

/** Schema 1 as car wrote it before issue 27: whole words in the index. */
const SCHEMA_1 = `
CREATE TABLE graphs (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);
CREATE TABLE facts (seq INTEGER PRIMARY KEY, graph INTEGER NOT NULL, id TEXT NOT NULL, subject TEXT NOT NULL, body TEXT NOT NULL, kind TEXT NOT NULL,
  confidence REAL NOT NULL, source TEXT NOT NULL, created_at TEXT NOT NULL, digest BLOB NOT NULL, UNIQUE (graph, id), UNIQUE (graph, digest));
CREATE INDEX facts_by_kind ON facts (graph, kind, seq);
CREATE VIRTUAL TABLE facts_fts USING fts5(subject, body, content='', contentless_delete=1, tokenize='unicode61 remove_diacritics 2');
CREATE TRIGGER facts_indexed AFTER INSERT ON facts BEGIN INSERT INTO facts_fts (rowid, subject, body) VALUES (new.seq, new.subject, new.body); END;
CREATE TRIGGER facts_unindexed AFTER DELETE ON facts BEGIN DELETE FROM facts_fts WHERE rowid = old.seq; END;
PRAGMA user_version = 1;
`;

/** Issue 27, item 6: queries match word forms (FTS5's Porter stems), old databases included. */
describe('memory queries and word forms', () => {
  it('finds "we deploy on Fridays" for "friday deployment"', () => {
    const store = MemoryStore.inMemory();
    const graph = store.graph('ns:work');
    const { id } = graph.addFact({ subject: 'deploys', body: 'we deploy on Fridays after review' });
    graph.addFact({ subject: 'coffee', body: 'Alice drinks coffee every morning' });
    assert.deepEqual(
      graph.query('friday deployment', 5).map((hit) => hit.id),
      [id],
    );
    assert.deepEqual(
      graph.query('reviewed deploys', 5).map((hit) => hit.id),
      [id],
    );
    store.close();
  });

  it('migrates a schema-1 database: its index is rebuilt with stems, every fact kept', () => {
    const file = join(tempStateRoot('car-memory-migration-'), 'memory.sqlite');
    const old = new Database(file);
    old.exec(SCHEMA_1);
    old.prepare('INSERT INTO graphs (id, name) VALUES (1, ?)').run('ns:work');
    const insert = old.prepare(`INSERT INTO facts VALUES (?, 1, ?, ?, ?, 'pattern', 1, 'ws', '2026-01-01T00:00:00.000Z', ?)`);
    insert.run(2 ** 32 + 1, 'ws-1', 'deploys', 'we deploy on Fridays after review', Buffer.from('a'));
    insert.run(2 ** 32 + 2, 'ws-2', 'coffee', 'Alice drinks coffee every morning', Buffer.from('b'));
    assert.equal(
      (old.prepare(`SELECT count(*) AS n FROM facts_fts WHERE facts_fts MATCH '"deployment"'`).get() as { n: number }).n,
      0,
      'schema 1 matches whole words only',
    );
    old.close();

    const store = MemoryStore.open(file);
    assert.equal(store.db.pragma('user_version', { simple: true }), SCHEMA_VERSION);
    const graph = store.graph('ns:work');
    assert.equal(graph.factCount(), 2);
    assert.deepEqual(
      graph.query('friday deployment', 5).map((hit) => hit.id),
      ['ws-1'],
    );
    assert.deepEqual(
      graph.query('coffee', 5).map((hit) => hit.id),
      ['ws-2'],
    );
    graph.deleteFact('ws-2');
    assert.deepEqual(graph.query('coffee', 5), [], 'deletes reach the rebuilt index');
    store.close();
    const reopened = MemoryStore.open(file);
    assert.deepEqual(
      reopened
        .graph('ns:work')
        .query('deploying', 5)
        .map((hit) => hit.id),
      ['ws-1'],
    );
    reopened.close();
  });
});
