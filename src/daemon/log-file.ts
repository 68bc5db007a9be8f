import { copyFileSync, existsSync, fstatSync, ftruncateSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import type { WriteStatus } from '../protocol/core.js';
import { WriteHealth, errorText } from './write-health.js';

export interface LogLimits {
  /** The log is rotated when it reaches this size (16 MiB). */
  rotateBytes: number;
  /** Rotated parts kept beside it, `daemon.log.1` (newest) to `daemon.log.<n>` (4). */
  keepFiles: number;
}

const DEFAULT_LOG_LIMITS: LogLimits = { rotateBytes: 16 * 1024 * 1024, keepFiles: 4 };

/** Lines held while writes fail; older ones are counted as lost beyond this. */
const MAX_BACKLOG_BYTES = 256 * 1024;
const RETRY_MS = 1000;
const STDERR = 2;

/**
 * The daemon's stderr when it is a file, as for a background daemon (`logs/daemon.log`).
 * Lines go out with `writeSync`, so a full or read-only disk is a counted failure, not a
 * stream error: they wait (up to 256 KiB, the oldest counted as lost beyond) and are retried
 * every second. When the file is the state root's log it is rotated like logrotate's
 * `copytruncate`: copied to `.1` (older parts shifted, the oldest deleted) and truncated in
 * place, so stderr itself, which native code and Node's fatal errors also write to, stays
 * the live log.
 */
export class LogFile {
  readonly health = new WriteHealth();
  private backlog: string[] = [];
  private backlogBytes = 0;
  private lost = 0;
  private size: number;
  private retryTimer: NodeJS.Timeout | null = null;
  private readonly limits: LogLimits;

  constructor(
    /** A descriptor opened to append (stderr for the daemon). */
    private readonly fd: number,
    /** The file rotated, or `null` when it is some other file (not ours to rotate). */
    readonly path: string | null,
    limits: Partial<LogLimits> = {},
  ) {
    this.limits = { ...DEFAULT_LOG_LIMITS, ...limits };
    this.size = fstatSync(fd).size;
  }

  /** A log file for stderr, or `null` when stderr is a terminal or a pipe; rotated only when it is `logPath`. */
  static forStderr(logPath: string, limits: Partial<LogLimits> = {}): LogFile | null {
    let stderr;
    try {
      stderr = fstatSync(STDERR);
    } catch {
      return null;
    }
    if (!stderr.isFile()) return null;
    const same = existsSync(logPath) && ((stat) => stat.dev === stderr.dev && stat.ino === stderr.ino)(statSync(logPath));
    return new LogFile(STDERR, same ? logPath : null, limits);
  }

  status(): WriteStatus {
    return this.health.status(this.path, this.backlog.length);
  }

  /** Writes one line (with its newline); never throws. */
  write(line: string): void {
    this.keep(line);
    if (this.health.failing && this.retryTimer) return;
    this.drain();
  }

  private keep(line: string): void {
    this.backlog.push(line);
    this.backlogBytes += line.length;
    while (this.backlogBytes > MAX_BACKLOG_BYTES && this.backlog.length > 1) {
      this.backlogBytes -= this.backlog.shift()!.length;
      this.lost++;
      this.health.dropped++;
    }
  }

  private drain(): void {
    if (this.retryTimer) {
      clearTimeout(this.retryTimer);
      this.retryTimer = null;
    }
    let text = this.backlog.join('');
    if (this.health.failing) text += `${new Date().toISOString()} WARN  log writes work again lines_lost=${this.lost} last_error=${this.health.lastError}\n`;
    try {
      this.writeAll(Buffer.from(text));
    } catch (error) {
      this.health.failed(error);
      this.retryTimer = setTimeout(() => this.drain(), RETRY_MS).unref();
      return;
    }
    this.backlog = [];
    this.backlogBytes = 0;
    this.lost = 0;
    this.health.succeeded();
    if (this.path !== null && this.size >= this.limits.rotateBytes) this.rotate(this.path);
  }

  private writeAll(chunk: Buffer): void {
    let written = 0;
    try {
      while (written < chunk.length) written += writeSync(this.fd, chunk, written);
    } catch (error) {
      // Half a line would glue itself to the next one: cut it off (stderr is opened to append).
      if (written > 0) this.cutBack(written);
      throw error;
    }
    this.size += chunk.length;
  }

  private cutBack(written: number): void {
    try {
      ftruncateSync(this.fd, Math.max(0, fstatSync(this.fd).size - written));
    } catch {
      // The next line still starts after the torn one; a reader skips it.
    }
  }

  private rotate(path: string): void {
    let kept = true;
    let reason = '';
    const keep = this.limits.keepFiles;
    try {
      if (keep > 0) {
        rmSync(`${path}.${keep}`, { force: true });
        for (let part = keep - 1; part >= 1; part--) if (existsSync(`${path}.${part}`)) renameSync(`${path}.${part}`, `${path}.${part + 1}`);
        copyFileSync(path, `${path}.1`);
      }
    } catch (error) {
      // A copy the disk has no room for is not kept: a bounded log beats an old one.
      kept = false;
      reason = errorText(error);
      rmSync(`${path}.1`, { force: true });
    }
    try {
      ftruncateSync(this.fd, 0);
      this.size = 0;
    } catch (error) {
      this.health.failed(error);
      return;
    }
    const note = keep === 0 ? 'no parts kept' : kept ? `previous part in ${path}.1` : `previous part not kept: ${reason}`;
    this.write(`${new Date().toISOString()} INFO  log rotated at ${this.limits.rotateBytes} bytes; ${note}\n`);
  }
}
