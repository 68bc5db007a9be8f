import type { Database } from 'better-sqlite3';

/**
 * Group commit: every write made during one turn of the event loop joins one SQLite
 * transaction, committed once that turn's I/O is handled. Most of an FTS5 insert's cost is
 * per commit, so many clients writing at once share it; a lone write waits one turn at most.
 * Reads on the same connection see the open transaction, so the daemon reads its own writes.
 */
export class GroupCommit {
  private pending: { promise: Promise<void>; settle: (error?: Error) => void } | null = null;

  constructor(
    private readonly db: Database,
    /** Lets the owner drop caches that counted writes a failed commit threw away. */
    private readonly onRollback: () => void,
  ) {}

  /** Call before any write. */
  join(): void {
    if (this.pending) return;
    this.db.exec('BEGIN IMMEDIATE');
    let settle!: (error?: Error) => void;
    const promise = new Promise<void>((resolve, reject) => {
      settle = (error) => (error === undefined ? resolve() : reject(error));
    });
    // Callers that wait see the failure; nobody waiting is not an unhandled rejection.
    promise.catch(() => undefined);
    this.pending = { promise, settle };
    setImmediate(() => this.commitNow());
  }

  /** Resolves when every write made so far is committed; rejects if its commit failed. */
  committed(): Promise<void> {
    return this.pending?.promise ?? Promise.resolve();
  }

  commitNow(): void {
    const pending = this.pending;
    if (!pending) return;
    this.pending = null;
    try {
      this.db.exec('COMMIT');
      pending.settle();
    } catch (error) {
      if (this.db.inTransaction) this.db.exec('ROLLBACK');
      this.onRollback();
      pending.settle(error as Error);
    }
  }
}
