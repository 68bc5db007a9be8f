import { randomBytes } from 'node:crypto';

export type LoginRole = 'client' | 'host';

export const LOGIN_CODE_TTL_MS = 60_000;
/** Codes one session may mint per minute; a browser sign-in needs one. */
export const LOGIN_CODES_PER_MINUTE = 10;
/** Unredeemed codes the daemon holds at once, across all sessions. */
export const MAX_LIVE_LOGIN_CODES = 256;
const RATE_WINDOW_MS = 60_000;

interface LiveCode {
  role: LoginRole;
  expiresAt: number;
}

export type MintOutcome = { code: string; expiresAt: Date } | { refused: 'session_rate' | 'daemon_full' };

/**
 * One-time browser sign-in codes (docs/protocol.md#session-login_code): single use, 60 s, 32 random
 * bytes (43 base64url characters), minted at a bounded rate. They live in memory only,
 * so a daemon restart voids every code.
 */
export class LoginCodeBook {
  private readonly live = new Map<string, LiveCode>();
  private readonly mintTimes = new Map<string, number[]>();

  constructor(private readonly now: () => number = Date.now) {}

  mint(role: LoginRole, sessionId: string): MintOutcome {
    const now = this.now();
    this.dropExpired(now);
    const recent = (this.mintTimes.get(sessionId) ?? []).filter((at) => now - at < RATE_WINDOW_MS);
    if (recent.length >= LOGIN_CODES_PER_MINUTE) return { refused: 'session_rate' };
    if (this.live.size >= MAX_LIVE_LOGIN_CODES) return { refused: 'daemon_full' };
    recent.push(now);
    this.mintTimes.set(sessionId, recent);
    const code = randomBytes(32).toString('base64url');
    const expiresAt = now + LOGIN_CODE_TTL_MS;
    this.live.set(code, { role, expiresAt });
    return { code, expiresAt: new Date(expiresAt) };
  }

  /** The role the code signs in as, or `null` when it is unknown, used or expired; a code works once. */
  redeem(code: string): LoginRole | null {
    const entry = this.live.get(code);
    if (!entry) return null;
    this.live.delete(code);
    return entry.expiresAt > this.now() ? entry.role : null;
  }

  /** Sweeps expired codes and mint histories older than the rate window (no timer, no per-session teardown). */
  private dropExpired(now: number): void {
    for (const [code, entry] of this.live) if (entry.expiresAt <= now) this.live.delete(code);
    for (const [sessionId, times] of this.mintTimes) if (now - times[times.length - 1]! >= RATE_WINDOW_MS) this.mintTimes.delete(sessionId);
  }
}
