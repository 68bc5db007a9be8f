import { chmodSync } from 'node:fs';
import Database from 'better-sqlite3';
import { limitExceeded } from '../../protocol/errors.js';
import { GroupCommit } from './group-commit.js';
import { MAX_GRAPH_ID, MIGRATE_1_TO_2_SQL, SCHEMA_SQL, SCHEMA_VERSION } from './schema.js';
import { prepareStatements, SqliteMemgine, type Statements } from './sqlite-memgine.js';

/**
 * One SQLite database holding any number of named graphs: the daemon's WAL-mode file for
 * namespaces, or an in-memory database for the standalone sessions' private graphs.
 * Embedders can open one too and pass `store.graph('shared')` as their shared engine.
 */
export class MemoryStore {
  private readonly sql: Statements;
  private readonly graphs = new Map<string, SqliteMemgine>();
  private readonly commits: GroupCommit;

  private constructor(readonly db: Database.Database) {
    db.pragma('busy_timeout = 5000');
    const version = db.pragma('user_version', { simple: true }) as number;
    if (version > SCHEMA_VERSION) {
      throw new Error(`it was written by a newer car (schema ${version}, this one knows ${SCHEMA_VERSION})`);
    }
    db.transaction(() => {
      if (version === 1) db.exec(MIGRATE_1_TO_2_SQL);
      db.exec(SCHEMA_SQL);
      db.pragma(`user_version = ${SCHEMA_VERSION}`);
    })();
    this.sql = prepareStatements(db);
    this.commits = new GroupCommit(db, () => {
      for (const engine of this.graphs.values()) engine.forgetCaches();
    });
  }

  /** Opens (creating if needed) a database file readable by this user only, in WAL mode. */
  static open(file: string): MemoryStore {
    const db = new Database(file);
    try {
      chmodSync(file, 0o600);
      db.pragma('journal_mode = WAL');
      // WAL with NORMAL never corrupts; a power cut may lose the last commits, not the file.
      db.pragma('synchronous = NORMAL');
      return new MemoryStore(db);
    } catch (error) {
      db.close();
      throw error;
    }
  }

  static inMemory(): MemoryStore {
    return new MemoryStore(new Database(':memory:'));
  }

  /** The graph with this name, created on first use. */
  graph(name: string): SqliteMemgine {
    let engine = this.graphs.get(name);
    if (!engine) {
      engine = new SqliteMemgine(this.db, this.sql, this.graphIdFor(name), this.commits);
      this.graphs.set(name, engine);
    }
    return engine;
  }

  /** The names of the stored graphs that start with `prefix`. */
  graphNames(prefix: string): string[] {
    return (this.sql.graphNames.all() as { name: string }[]).map((row) => row.name).filter((name) => name.startsWith(prefix));
  }

  /** Deletes a graph and its facts, if it was ever used. */
  dropGraph(name: string): void {
    const engine = this.graphs.get(name);
    if (!engine) return;
    this.commits.join();
    this.db.transaction(() => {
      engine.clear();
      this.sql.deleteGraph.run(engine.graphId);
    })();
    this.graphs.delete(name);
  }

  /** Commits what is pending, then closes the database. */
  close(): void {
    this.commits.commitNow();
    this.graphs.clear();
    if (this.db.open) this.db.close();
  }

  private graphIdFor(name: string): number {
    const existing = this.sql.graphByName.get(name) as { id: number } | undefined;
    if (existing) return existing.id;
    const { id } = this.sql.freeGraphId.get() as { id: number };
    if (id > MAX_GRAPH_ID)
      throw limitExceeded(
        `the memory database already holds ${MAX_GRAPH_ID} graphs; close idle sessions that used private memory, or bind an existing namespace`,
      );
    // Outside the group transaction: a failed commit must never leave an engine whose graph row is gone.
    this.commits.commitNow();
    this.sql.insertGraph.run(id, name);
    return id;
  }
}
