import { closeSync, fstatSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';

/** Kinds flushed the moment they are appended; others wait at most a second (docs/protocol.md#journal). */
const FLUSH_NOW = /^(session_|approval_|meeting_|daemon_)/;
const ROTATE_BYTES = 64 * 1024 * 1024;

export interface JournalEvent {
  seq: number;
  ts: string;
  kind: string;
  session_id: string | null;
  data: Record<string, unknown>;
}

/**
 * The append-only JSONL journal of one daemon run: `<dir>/<YYYYMMDDTHHMMSSZ>-<pid>.jsonl`,
 * rotated to `…-<n>.jsonl` at 64 MiB. A single writer keeps `seq` in order. Callers pass
 * metadata only: never tokens, prompts, outputs, PCM, transcripts or fact bodies.
 */
export class Journal {
  private readonly base: string;
  private currentFile: string;
  private fd: number | null = null;
  private bytes = 0;
  private part = 1;
  private seq = 0;
  private pending: string[] = [];
  private timer: NodeJS.Timeout | null = null;
  private closed = false;

  constructor(
    readonly dir: string,
    startedAt = new Date(),
  ) {
    const stamp = startedAt.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
    this.base = join(dir, `${stamp}-${process.pid}`);
    this.currentFile = `${this.base}.jsonl`;
  }

  /** The file being written now. */
  get file(): string {
    return this.currentFile;
  }

  append(kind: string, sessionId: string | null, data: Record<string, unknown>): void {
    if (this.closed) return;
    const event: JournalEvent = { seq: ++this.seq, ts: new Date().toISOString(), kind, session_id: sessionId, data };
    this.pending.push(JSON.stringify(event));
    if (FLUSH_NOW.test(kind)) this.flush();
    else this.timer ??= setTimeout(() => this.flush(), 1000).unref();
  }

  flush(): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    if (this.pending.length === 0) return;
    const chunk = this.pending.join('\n') + '\n';
    this.pending = [];
    this.open();
    this.bytes += writeSync(this.fd!, chunk);
    if (this.bytes >= ROTATE_BYTES) this.rotate();
  }

  close(): void {
    this.flush();
    this.closed = true;
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }

  private open(): void {
    if (this.fd !== null) return;
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    this.fd = openSync(this.currentFile, 'a', 0o600);
    this.bytes = fstatSync(this.fd).size;
  }

  private rotate(): void {
    closeSync(this.fd!);
    this.fd = null;
    this.part += 1;
    this.seq = 0;
    this.currentFile = `${this.base}-${this.part}.jsonl`;
  }
}
