/**
 * The daemon's one-line logger. A foreground daemon logs to stderr; a background one has
 * stderr redirected to `logs/daemon.log`. Callers pass ids and counts, never secrets or
 * user content (docs/protocol.md#daemon-log). Field values may still carry what a client sent (a
 * method name, an Origin), so each is escaped onto one line and cut (docs/protocol.md#daemon-log), and
 * lines about one session are rate-limited, so no client can forge or flood the log.
 */
import type { WriteStatus } from '../protocol/core.js';
import type { LogFile } from './log-file.js';

type Level = 'debug' | 'info' | 'warn' | 'error';
const ORDER: Record<Level, number> = { debug: 10, info: 20, warn: 30, error: 40 };

/** A field value is cut to this many characters (docs/protocol.md#daemon-log). */
export const MAX_LOGGED_FIELD_CHARS = 120;
/** A stack (debug level only) is ours, not a client's, so it keeps more. */
const MAX_STACK_CHARS = 2000;
/** Lines about one session per window before the rest are counted instead of written. */
const LINES_PER_PEER_WINDOW = 20;
const PEER_WINDOW_MS = 10_000;
/** Lines about connections that have not signed in share one rate limit, so a flood of new connections is one peer (issue 26). */
export const PRE_AUTH_PEER = 'pre-auth';

let threshold: number = ORDER.info;
let sink: (line: string) => void = (line) => process.stderr.write(line);
let file: LogFile | null = null;
const peers = new Map<string, { windowStart: number; lines: number; suppressed: number }>();

/** Control characters (newlines above all) escaped, so a value can never start a line of its own, then cut to `max` characters. */
export function logSafe(value: string, max = MAX_LOGGED_FIELD_CHARS): string {
  const head = value.length > max ? value.slice(0, max) : value;
  const oneLine = head.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`);
  return value.length > max ? `${oneLine}…(${value.length} chars)` : oneLine;
}

/** Whether this line about `peer` may be written; the first line of a new window reports what was held back. */
function admit(peer: string, now: number): { ok: boolean; suppressed: number } {
  let entry = peers.get(peer);
  if (!entry || now - entry.windowStart >= PEER_WINDOW_MS) {
    const suppressed = entry?.suppressed ?? 0;
    if (peers.size > 10_000) for (const [key, old] of peers) if (now - old.windowStart >= PEER_WINDOW_MS) peers.delete(key);
    entry = { windowStart: now, lines: 0, suppressed: 0 };
    peers.set(peer, entry);
    entry.lines++;
    return { ok: true, suppressed };
  }
  if (++entry.lines > LINES_PER_PEER_WINDOW) {
    entry.suppressed++;
    return { ok: false, suppressed: 0 };
  }
  return { ok: true, suppressed: 0 };
}

/** A field as written: a string as it is, a bigint as digits (JSON.stringify throws on one), anything else as JSON, a function or symbol by its kind only. */
function fieldText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'bigint') return value.toString();
  return JSON.stringify(value) ?? typeof value;
}

function write(level: Level, message: string, fields?: Record<string, unknown>, limitAs?: string): void {
  if (ORDER[level] < threshold) return;
  const now = Date.now();
  let line = `${new Date(now).toISOString()} ${level.toUpperCase().padEnd(5)} ${message}`;
  if (fields) {
    const peer = limitAs ?? fields.session;
    if (typeof peer === 'string') {
      const { ok, suppressed } = admit(peer, now);
      if (!ok) return;
      if (suppressed) line += ` suppressed_before=${suppressed}`;
    }
    for (const [key, value] of Object.entries(fields)) {
      if (value !== undefined) line += ` ${key}=${logSafe(fieldText(value), key === 'stack' ? MAX_STACK_CHARS : MAX_LOGGED_FIELD_CHARS)}`;
    }
  }
  sink(line + '\n');
}

/** An unexpected failure: its message at the given level, its stack only at debug (docs/protocol.md#daemon-log). */
function failure(level: 'warn' | 'error', message: string, error: unknown, fields: Record<string, unknown> = {}): void {
  const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  write(level, message, { ...fields, error: text });
  if (error instanceof Error && error.stack) write('debug', `${message} (stack)`, { ...fields, stack: error.stack.split('\n').slice(0, 12).join(' | ') });
}

/** `limitAs` names the peer whose rate limit a line counts against; it defaults to the `session` field. */
export const log = {
  debug: (message: string, fields?: Record<string, unknown>, limitAs?: string) => write('debug', message, fields, limitAs),
  info: (message: string, fields?: Record<string, unknown>, limitAs?: string) => write('info', message, fields, limitAs),
  warn: (message: string, fields?: Record<string, unknown>, limitAs?: string) => write('warn', message, fields, limitAs),
  error: (message: string, fields?: Record<string, unknown>, limitAs?: string) => write('error', message, fields, limitAs),
  failure,
  /** Embedders and tests redirect or silence the log. */
  configure(options: { level?: Level; sink?: (line: string) => void }): void {
    if (options.level) threshold = ORDER[options.level];
    if (options.sink) {
      sink = options.sink;
      file = null;
    }
  },
  /** Writes to a log file that counts, retries and rotates (a background daemon's stderr). */
  useFile(logFile: LogFile): void {
    file = logFile;
    sink = (line) => logFile.write(line);
  },
  /** How writes to the log file go, for `daemon.status`; `null` when the log is not a file. */
  writeStatus(): WriteStatus | null {
    return file?.status() ?? null;
  },
};
