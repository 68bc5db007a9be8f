import { readFileSync } from 'node:fs';
import type { Socket } from 'node:net';
import type { ConnectionStatus } from '../../protocol/core.js';
import { log } from '../log.js';

export interface ConnectionLimits {
  /** Open TCP connections of any kind (docs/protocol.md#connection-limits); defaults to a quarter of RLIMIT_NOFILE, at most 4,096. */
  maxConnections: number;
  /** Connections not signed in: silent TCP, unsigned WebSockets, plain HTTP (64). */
  maxPreAuthConnections: number;
  /** A connection that has not sent its upgrade (or plain HTTP) request by then is closed (10 s). */
  requestTimeoutMs: number;
}

export const DEFAULT_MAX_PREAUTH_CONNECTIONS = 64;
export const DEFAULT_REQUEST_TIMEOUT_MS = 10_000;

/**
 * A quarter of the soft open-files limit, so connections alone can never exhaust the files
 * that meetings, SQLite and models need. Node has no getrlimit, so /proc tells.
 */
export function defaultMaxConnections(limitsFile = '/proc/self/limits'): number {
  let softLimit = 1024;
  try {
    const row = /^Max open files\s+(\d+|unlimited)/m.exec(readFileSync(limitsFile, 'utf8'));
    if (row) softLimit = row[1] === 'unlimited' ? Number.MAX_SAFE_INTEGER : Number(row[1]);
  } catch {
    // Not Linux: assume the common default.
  }
  return Math.max(16, Math.min(4096, Math.floor(softLimit / 4)));
}

/** A socket this young that has sent nothing yet is not judged: a client with the token has its request on the way. */
export const SILENT_GRACE_MS = 1000;

/**
 * Keeps the daemon's connections within both caps without ever locking out a client with
 * the token (issue 26). A connection is *silent* until it sends a request, then *waiting*
 * (a plain HTTP connection, kept alive or not, or a WebSocket not yet signed in) until it
 * signs in; both count as pre-auth. Over a cap, the oldest pre-auth connection is closed,
 * silent ones first, then waiting ones.
 *
 * A silent socket younger than a second is not counted or closed yet: the daemon accepts a
 * burst of connections before reading any, and on a busy machine a client with the token
 * may not have written its upgrade by the time the daemon looks. It is counted once it
 * speaks or turns a second old; until then the caps may be exceeded, by at most as many
 * again (beyond that the oldest silent socket goes whatever its age). So a flood, even one
 * reopening its sockets as they close, only ever displaces itself. Only when every
 * connection has signed in is a newcomer refused (503). A connection that sends no request
 * within the request timeout is closed.
 */
export class ConnectionGate {
  private readonly admitted = new Set<Socket>();
  /** Oldest first, with when they were accepted and their request timers. */
  private readonly silent = new Map<Socket, { since: number; timer: NodeJS.Timeout }>();
  /** Oldest first, with how to close each one. */
  private readonly waiting = new Map<Socket, () => void>();
  /** Re-judges the caps when the oldest young silent socket comes of age. */
  private graceTimer: NodeJS.Timeout | null = null;
  private refusedTotal = 0;
  private evictedTotal = 0;

  constructor(private readonly limits: ConnectionLimits) {}

  get preAuth(): number {
    return this.silent.size + this.waiting.size;
  }

  status(): ConnectionStatus {
    return {
      open: this.admitted.size,
      pre_auth: this.preAuth,
      max_connections: this.limits.maxConnections,
      max_pre_auth: this.limits.maxPreAuthConnections,
      evicted_total: this.evictedTotal,
      refused_total: this.refusedTotal,
    };
  }

  admit(socket: Socket): void {
    if (this.admitted.size >= this.limits.maxConnections && this.preAuth === 0) {
      this.refuse(socket, 'too many connections, all of them signed in');
      return;
    }
    this.admitted.add(socket);
    const timer = setTimeout(() => {
      if (this.silent.has(socket)) socket.destroy();
    }, this.limits.requestTimeoutMs);
    timer.unref();
    this.silent.set(socket, { since: Date.now(), timer });
    socket.once('close', () => {
      this.admitted.delete(socket);
      this.forget(socket);
    });
    this.trim();
  }

  /** A plain HTTP request arrived: the connection waits (it never signs in) and is closed first among its kind when it is the oldest. */
  requested(socket: Socket): void {
    if (!this.admitted.has(socket)) return;
    this.forget(socket);
    this.waiting.set(socket, () => socket.destroy());
    this.trim();
  }

  /** An upgrade request arrived; the connection is neither silent nor admitted as a WebSocket yet. */
  upgrading(socket: Socket): void {
    this.forget(socket);
  }

  /** An upgraded connection that must still sign in; `close` ends it when it is the oldest at a cap. */
  unsigned(socket: Socket, close: () => void): void {
    if (!this.admitted.has(socket)) return;
    this.waiting.set(socket, close);
    this.trim();
  }

  /** Signed in (with `session.auth` or at the upgrade): no longer pre-auth, never evicted. */
  signedIn(socket: Socket): void {
    this.forget(socket);
  }

  /** Silent sockets still in their grace second (the young end of the map) and when the oldest of them was accepted. */
  private youngSilent(now: number): { count: number; oldestSince: number } {
    let stale = 0;
    for (const { since } of this.silent.values()) {
      if (now - since < SILENT_GRACE_MS) return { count: this.silent.size - stale, oldestSince: since };
      stale++;
    }
    return { count: 0, oldestSince: now };
  }

  /**
   * Closes pre-auth connections, oldest first, silent before waiting, until both caps hold
   * for everything but young silent sockets, and the whole within twice the caps.
   */
  private trim(): void {
    const { maxConnections, maxPreAuthConnections } = this.limits;
    for (;;) {
      const now = Date.now();
      const young = this.youngSilent(now).count;
      const overCap = this.admitted.size - young > maxConnections || this.preAuth - young > maxPreAuthConnections;
      const overHardCap = this.admitted.size > 2 * maxConnections || this.preAuth > 2 * maxPreAuthConnections;
      if (!overCap && !overHardCap) break;
      const [oldestSilent] = this.silent;
      const judged = oldestSilent && (overHardCap || now - oldestSilent[1].since >= SILENT_GRACE_MS) ? oldestSilent[0] : undefined;
      const victim = judged ?? this.waiting.keys().next().value ?? (overHardCap ? oldestSilent?.[0] : undefined);
      if (!victim) break;
      this.evict(victim);
    }
    this.scheduleGraceEnd();
  }

  /** While young silent sockets would put a cap over, judge again when the oldest of them turns a second old. */
  private scheduleGraceEnd(): void {
    if (this.graceTimer) return;
    const now = Date.now();
    const young = this.youngSilent(now);
    if (young.count === 0 || (this.admitted.size <= this.limits.maxConnections && this.preAuth <= this.limits.maxPreAuthConnections)) return;
    this.graceTimer = setTimeout(
      () => {
        this.graceTimer = null;
        this.trim();
      },
      young.oldestSince + SILENT_GRACE_MS - now + 1,
    );
    this.graceTimer.unref();
  }

  private evict(socket: Socket): void {
    const close = this.waiting.get(socket) ?? (() => socket.destroy());
    this.forget(socket);
    // It no longer counts against the total: its close may take a moment.
    this.admitted.delete(socket);
    this.evictedTotal++;
    if (Number.isInteger(Math.log10(this.evictedTotal)))
      log.warn('closed the oldest connection not signed in to admit a new one', { evicted_total: this.evictedTotal, open: this.admitted.size });
    close();
  }

  private forget(socket: Socket): void {
    const silent = this.silent.get(socket);
    if (silent) clearTimeout(silent.timer);
    this.silent.delete(socket);
    this.waiting.delete(socket);
  }

  private refuse(socket: Socket, why: string): void {
    this.refusedTotal++;
    // Powers of ten only, so a flood cannot flood the log as well.
    if (Number.isInteger(Math.log10(this.refusedTotal))) log.warn('connection refused', { why, refused_total: this.refusedTotal, open: this.admitted.size });
    const body = `car daemon: ${why}; try again later\n`;
    socket.on('error', () => undefined);
    socket.end(`HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: ${body.length}\r\n\r\n${body}`);
    // The peer may never close its side; the file is ours to give back now.
    socket.once('finish', () => socket.destroy());
    setTimeout(() => socket.destroy(), 1000).unref();
  }
}
