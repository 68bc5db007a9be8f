import type { WriteStatus } from '../protocol/core.js';

/** How often, at most, a file whose writes keep failing is written about in the log. */
const WRITE_FAILURE_REPORT_MS = 60_000;

/**
 * The health of one file the daemon appends to (the journal, its log): failed writes are
 * counted and the last error kept for `daemon.status`; `failed` says when a log line about
 * them is due, so a full disk costs one line per interval, not one per write.
 */
export class WriteHealth {
  dropped = 0;
  private failures = 0;
  private streak = 0;
  private lastErrorText: string | null = null;
  private lastFailureAt: Date | null = null;
  private lastReportAt = -Infinity;

  get lastError(): string | null {
    return this.lastErrorText;
  }

  get failing(): boolean {
    return this.streak > 0;
  }

  /** Counts a failed write; true when a log line about the failures is due (the first of a streak, then once per interval). */
  failed(error: unknown, now = Date.now()): boolean {
    this.failures++;
    this.streak++;
    this.lastErrorText = errorText(error);
    this.lastFailureAt = new Date(now);
    if (now - this.lastReportAt < WRITE_FAILURE_REPORT_MS) return false;
    this.lastReportAt = now;
    return true;
  }

  /** A write went through; returns how many failures in a row it ends (0 when none). */
  succeeded(): number {
    const streak = this.streak;
    this.streak = 0;
    if (streak > 0) this.lastReportAt = -Infinity;
    return streak;
  }

  status(file: string | null, pending: number): WriteStatus {
    return {
      file,
      failures: this.failures,
      failing: this.failing,
      last_error: this.lastErrorText,
      last_failure_at: this.lastFailureAt?.toISOString() ?? null,
      pending,
      dropped: this.dropped,
    };
  }
}

/** `ENOSPC: no space left on device, write`: Node's message already names the code and the call. */
export function errorText(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).slice(0, 200);
}
