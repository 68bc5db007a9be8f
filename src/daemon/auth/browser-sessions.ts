import { randomBytes } from 'node:crypto';
import type { LoginRole } from './login-codes.js';

/** How long a browser stays signed in after it redeemed a `car ui` link; `CAR_UI_SESSION_TTL` changes it. */
export const DEFAULT_BROWSER_SESSION_TTL_MS = 12 * 60 * 60 * 1000;
/** Live browser sessions the daemon holds at once; the one expiring first makes room for a new one. */
export const MAX_BROWSER_SESSIONS = 256;

/** What a revoked browser session had open: its WebSocket sessions, closed with it. */
export interface SignedInConnection {
  readonly closed: boolean;
  close(code: number, reason: string, sessionReason?: string): void;
}

interface LiveBrowserSession {
  role: LoginRole;
  expiresAt: number;
  connections: Set<SignedInConnection>;
}

export interface OpenedBrowserSession {
  token: string;
  role: LoginRole;
  expiresAt: Date;
}

/**
 * Browser sessions behind the UI's session cookie: 32 random bytes per sign-in, held in
 * memory only, so a daemon restart revokes every one (like login codes). Each expires
 * `ttlMs` after the one-time code was redeemed; sign-out revokes one at once and closes
 * the connections it signed in.
 */
export class BrowserSessionBook {
  private readonly live = new Map<string, LiveBrowserSession>();

  constructor(
    readonly ttlMs = DEFAULT_BROWSER_SESSION_TTL_MS,
    private readonly now: () => number = Date.now,
  ) {}

  open(role: LoginRole): OpenedBrowserSession {
    const now = this.now();
    this.dropExpired(now);
    if (this.live.size >= MAX_BROWSER_SESSIONS) this.revoke(this.soonestToExpire()!, 'evicted');
    const token = randomBytes(32).toString('base64url');
    const expiresAt = now + this.ttlMs;
    this.live.set(token, { role, expiresAt, connections: new Set() });
    return { token, role, expiresAt: new Date(expiresAt) };
  }

  /** The live session behind a cookie value, or `null` when it is unknown, revoked or expired. */
  find(token: string): { role: LoginRole; expiresAt: Date } | null {
    const entry = this.live.get(token);
    if (!entry) return null;
    if (entry.expiresAt <= this.now()) {
      this.live.delete(token);
      return null;
    }
    return { role: entry.role, expiresAt: new Date(entry.expiresAt) };
  }

  /** Remembers a connection the session signed in, so revoking the session closes it too. */
  attach(token: string, connection: SignedInConnection): void {
    const connections = this.live.get(token)?.connections;
    if (!connections) return;
    for (const known of connections) if (known.closed) connections.delete(known);
    connections.add(connection);
  }

  /** Ends a session and closes its connections; `false` when there was none. */
  revoke(token: string, why: 'signed_out' | 'evicted' = 'signed_out'): boolean {
    const entry = this.live.get(token);
    if (!entry) return false;
    this.live.delete(token);
    const reason = why === 'signed_out' ? 'signed out' : 'too many browser sessions; sign in again';
    for (const connection of entry.connections) connection.close(1008, reason, why);
    return true;
  }

  get size(): number {
    return this.live.size;
  }

  private soonestToExpire(): string | undefined {
    let soonest: [string, number] | undefined;
    for (const [token, entry] of this.live) if (!soonest || entry.expiresAt < soonest[1]) soonest = [token, entry.expiresAt];
    return soonest?.[0];
  }

  private dropExpired(now: number): void {
    for (const [token, entry] of this.live) if (entry.expiresAt <= now) this.live.delete(token);
  }
}
