import { readFileSync } from 'node:fs';
import type { Socket } from 'node:net';
import { log } from '../log.js';

export interface ConnectionLimits {
  /** Open TCP connections of any kind (docs/protocol.md#connection-limits); defaults to a quarter of RLIMIT_NOFILE, at most 4,096. */
  maxConnections: number;
  /** Connections not yet signed in, upgraded or not (64). */
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

/**
 * Admits TCP connections while both caps hold and refuses the rest at once with HTTP 503,
 * so a flood of bare or unauthenticated connections costs the daemon a bounded number of
 * files; connections that never send a request are closed after the request timeout.
 */
export class ConnectionGate {
  private open = 0;
  private refusedTotal = 0;
  /** Connected but no request yet. */
  private readonly silent = new Set<Socket>();

  constructor(
    private readonly limits: ConnectionLimits,
    /** Upgraded connections not yet signed in. */
    private readonly unauthenticatedSessions: () => number,
  ) {}

  admit(socket: Socket): void {
    const preAuth = this.silent.size + this.unauthenticatedSessions();
    if (this.open >= this.limits.maxConnections || preAuth >= this.limits.maxPreAuthConnections) {
      this.refuse(socket, this.open >= this.limits.maxConnections ? 'too many connections' : 'too many connections not signed in');
      return;
    }
    this.open++;
    this.silent.add(socket);
    const timer = setTimeout(() => {
      if (this.silent.has(socket)) socket.destroy();
    }, this.limits.requestTimeoutMs);
    timer.unref();
    socket.once('close', () => {
      this.open--;
      this.silent.delete(socket);
      clearTimeout(timer);
    });
  }

  /** The connection sent a request (an upgrade or a plain HTTP one), so the request timeout no longer applies. */
  requested(socket: Socket): void {
    this.silent.delete(socket);
  }

  private refuse(socket: Socket, why: string): void {
    this.refusedTotal++;
    // Powers of ten only, so a flood cannot flood the log as well.
    if (Number.isInteger(Math.log10(this.refusedTotal))) log.warn('connection refused', { why, refused_total: this.refusedTotal, open: this.open });
    const body = `car daemon: ${why}; try again later\n`;
    socket.on('error', () => undefined);
    socket.end(`HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: ${body.length}\r\n\r\n${body}`);
    // The peer may never close its side; the file is ours to give back now.
    socket.once('finish', () => socket.destroy());
    setTimeout(() => socket.destroy(), 1000).unref();
  }
}
