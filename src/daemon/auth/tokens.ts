import { randomBytes, timingSafeEqual } from 'node:crypto';
import { chmodSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { LoginCodeBook } from './login-codes.js';

/** A fresh token: 32 random bytes, base64url without padding (43 characters). */
export function mintToken(): string {
  return randomBytes(32).toString('base64url');
}

/** Constant-time comparison with the length checked first (docs/protocol.md#tokens). */
export function tokensMatch(expected: string, presented: string): boolean {
  const a = Buffer.from(expected);
  const b = Buffer.from(presented);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Writes a token file 0600 through a temp file and rename, so no reader sees a partial token. */
export function writeTokenFile(path: string, token: string): void {
  const temp = `${path}.${process.pid}.tmp`;
  writeFileSync(temp, token + '\n', { mode: 0o600 });
  chmodSync(temp, 0o600);
  renameSync(temp, path);
}

export function removeTokenFile(path: string): void {
  rmSync(path, { force: true });
}

/** How the daemon authenticates sessions; tokens stay in memory and in the 0600 files only. */
export class AuthPolicy {
  /** One-time browser sign-in codes, redeemed by `session.auth { login_code }`. */
  readonly loginCodes = new LoginCodeBook();

  private constructor(
    readonly enabled: boolean,
    private readonly token: string | null,
    private readonly hostToken: string | null,
    readonly tokenPath: string | null,
    readonly hostTokenPath: string | null,
  ) {}

  static disabled(): AuthPolicy {
    return new AuthPolicy(false, null, null, null, null);
  }

  static withTokens(token: string, hostToken: string, paths?: { token: string; hostToken: string }): AuthPolicy {
    return new AuthPolicy(true, token, hostToken, paths?.token ?? null, paths?.hostToken ?? null);
  }

  /** Freshly minted tokens kept in memory, for embedders that hand them to their own clients. */
  static minted(): AuthPolicy {
    return AuthPolicy.withTokens(mintToken(), mintToken());
  }

  checkClientToken(presented: string): boolean {
    return this.token !== null && tokensMatch(this.token, presented);
  }

  checkHostToken(presented: string): boolean {
    return this.hostToken !== null && tokensMatch(this.hostToken, presented);
  }

  /** The tokens, for an embedder that runs its own clients in-process. */
  revealTokens(): { token: string | null; hostToken: string | null } {
    return { token: this.token, hostToken: this.hostToken };
  }

  get hint(): string {
    return this.tokenPath ? `read the token from ${this.tokenPath} or set CAR_AUTH_TOKEN` : 'ask the embedding application for the token';
  }

  get hostHint(): string {
    return this.hostTokenPath ? `read it from ${this.hostTokenPath} or set CAR_HOST_TOKEN` : 'ask the embedding application for the host token';
  }

  /** Never let a token reach a log line or a JSON result by accident. */
  toJSON(): object {
    return { enabled: this.enabled, tokenPath: this.tokenPath };
  }
}
