import { closeSync, fstatSync, ftruncateSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { WriteStatus } from '../../protocol/core.js';
import { log } from '../log.js';
import { WriteHealth } from '../write-health.js';
import { pruneJournals } from './retention.js';

/** Kinds flushed the moment they are appended; others wait at most a second (docs/protocol.md#journal). */
const FLUSH_NOW = /^(session_|approval_|meeting_|daemon_)/;
/** While writes fail, the backlog is retried this often (and not on every append). */
const RETRY_MS = 1000;
/** Serialised events held while writes fail; beyond this, events are counted, not kept. */
const MAX_PENDING_BYTES = 8 * 1024 * 1024;

export interface JournalLimits {
  /** A file is closed and the next part begun at this size (64 MiB). */
  rotateBytes: number;
  /** Journal files of every run in the directory are deleted, oldest first, beyond this total (512 MiB); the file being written never is. */
  keepBytes: number;
}

const DEFAULT_JOURNAL_LIMITS: JournalLimits = { rotateBytes: 64 * 1024 * 1024, keepBytes: 512 * 1024 * 1024 };

export interface JournalEvent {
  seq: number;
  ts: string;
  kind: string;
  session_id: string | null;
  data: Record<string, unknown>;
}

/**
 * The append-only JSONL journal of one daemon run: `<dir>/<YYYYMMDDTHHMMSSZ>-<pid>.jsonl`,
 * rotated to `…-<n>.jsonl`. A single writer keeps `seq` in order. Callers pass metadata only:
 * never tokens, prompts, outputs, PCM, transcripts or fact bodies.
 *
 * `append` never throws (issue 26): a failed write (full or read-only disk) is counted,
 * cut back to the last whole line and retried every second with the events kept in memory
 * up to 8 MiB; events beyond that are counted by kind and written as one `journal_gap`
 * event once writes work again, so every `seq` in a file is there and no line is torn.
 */
export class Journal {
  readonly health = new WriteHealth();
  private readonly base: string;
  private readonly limits: JournalLimits;
  private currentFile: string;
  private fd: number | null = null;
  private bytes = 0;
  private part = 1;
  private seq = 0;
  private pending: string[] = [];
  private pendingBytes = 0;
  /** Events given up since the last `journal_gap`, by kind. */
  private dropped = new Map<string, number>();
  /** A partial write that could not be cut back: the next write starts a fresh line. */
  private tornTail = false;
  private pruned = false;
  private timer: NodeJS.Timeout | null = null;
  private closed = false;

  constructor(
    readonly dir: string,
    startedAt = new Date(),
    limits: Partial<JournalLimits> = {},
  ) {
    const stamp = startedAt
      .toISOString()
      .replace(/[-:]/g, '')
      .replace(/\.\d+Z$/, 'Z');
    this.base = join(dir, `${stamp}-${process.pid}`);
    this.currentFile = `${this.base}.jsonl`;
    this.limits = { ...DEFAULT_JOURNAL_LIMITS, ...limits };
  }

  /** The file being written now. */
  get file(): string {
    return this.currentFile;
  }

  status(): WriteStatus {
    return this.health.status(this.currentFile, this.pending.length);
  }

  append(kind: string, sessionId: string | null, data: Record<string, unknown>): void {
    if (this.closed) return;
    // The backlog has been written since events were dropped: say so before anything newer.
    if (this.dropped.size > 0 && this.pending.length === 0) this.enqueueGap();
    if (!this.enqueue(kind, sessionId, data)) return;
    if (FLUSH_NOW.test(kind) && !this.health.failing) this.flush();
    else this.scheduleFlush(this.health.failing ? RETRY_MS : 1000);
  }

  /** Writes what is pending; on failure keeps it for the retry. Never throws. */
  flush(): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    if (this.pending.length === 0) return;
    try {
      this.write(Buffer.from(this.pending.join('\n') + '\n'));
    } catch (error) {
      if (this.health.failed(error)) {
        log.warn('journal writes are failing; events are kept in memory and retried every second', {
          file: this.currentFile,
          error: (error as Error).message,
          failures: this.status().failures,
          pending: this.pending.length,
        });
      }
      this.scheduleFlush(RETRY_MS);
      return;
    }
    const events = this.pending.length;
    this.pending = [];
    this.pendingBytes = 0;
    const failures = this.health.succeeded();
    if (failures > 0) log.info('journal writes work again', { file: this.currentFile, failed_attempts: failures, events_written: events });
    if (this.bytes >= this.limits.rotateBytes) this.rotate();
  }

  close(): void {
    if (this.closed) return;
    if (this.dropped.size > 0) this.enqueueGap();
    this.flush();
    this.closed = true;
    if (this.pending.length > 0) {
      this.health.dropped += this.pending.length;
      log.warn('journal events could not be written before the daemon stopped', {
        file: this.currentFile,
        lost: this.pending.length,
        error: this.status().last_error,
      });
    }
    this.closeFile();
  }

  /** Serialises one event with the next `seq`; false (and counted) when the backlog is full. */
  private enqueue(kind: string, sessionId: string | null, data: Record<string, unknown>): boolean {
    let line = this.serialise(kind, sessionId, data);
    if (line === null) return false;
    // A burst larger than the backlog is written at once, unless writes are failing (a rotation restarts `seq`, so serialise again).
    if (this.pendingBytes + line.length > MAX_PENDING_BYTES && !this.health.failing) {
      this.flush();
      line = this.serialise(kind, sessionId, data)!;
    }
    if (this.pendingBytes + line.length > MAX_PENDING_BYTES) {
      this.dropped.set(kind, (this.dropped.get(kind) ?? 0) + 1);
      this.health.dropped++;
      return false;
    }
    this.seq++;
    this.pending.push(line);
    this.pendingBytes += line.length + 1;
    return true;
  }

  private serialise(kind: string, sessionId: string | null, data: Record<string, unknown>): string | null {
    try {
      return JSON.stringify({ seq: this.seq + 1, ts: new Date().toISOString(), kind, session_id: sessionId, data } satisfies JournalEvent);
    } catch (error) {
      log.failure('warn', 'journal event could not be serialised; dropped', error, { kind });
      return null;
    }
  }

  private enqueueGap(): void {
    const byKind = Object.fromEntries(this.dropped);
    const count = [...this.dropped.values()].reduce((sum, each) => sum + each, 0);
    this.dropped = new Map();
    this.enqueue('journal_gap', null, { dropped: count, by_kind: byKind, reason: this.health.lastError });
  }

  private scheduleFlush(delayMs: number): void {
    this.timer ??= setTimeout(() => this.flush(), delayMs).unref();
  }

  private write(chunk: Buffer): void {
    const fd = this.open();
    if (this.tornTail) chunk = Buffer.concat([Buffer.from('\n'), chunk]);
    let written = 0;
    try {
      while (written < chunk.length) written += writeSync(fd, chunk, written);
    } catch (error) {
      if (written > 0) this.cutBack();
      throw error;
    }
    this.bytes += chunk.length;
    this.tornTail = false;
  }

  /** A write that stopped part-way left half a line: cut the file back to its last whole line. */
  private cutBack(): void {
    try {
      ftruncateSync(this.fd!, this.bytes);
    } catch {
      this.tornTail = true;
      this.closeFile();
    }
  }

  private open(): number {
    if (this.fd !== null) return this.fd;
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    const fd = openSync(this.currentFile, 'a', 0o600);
    this.fd = fd;
    this.bytes = fstatSync(fd).size;
    if (!this.pruned) {
      this.pruned = true;
      this.prune();
    }
    return fd;
  }

  private rotate(): void {
    this.closeFile();
    this.part += 1;
    this.seq = 0;
    this.currentFile = `${this.base}-${this.part}.jsonl`;
    this.prune();
  }

  private prune(): void {
    const removed = pruneJournals(this.dir, this.limits.keepBytes, this.currentFile);
    if (removed.length > 0) log.info('old journal files removed (journal retention)', { removed: removed.length, keep_bytes: this.limits.keepBytes });
  }

  private closeFile(): void {
    if (this.fd === null) return;
    try {
      closeSync(this.fd);
    } catch {
      // Already gone: nothing of ours is lost by a failed close of an append-only file.
    }
    this.fd = null;
  }
}
