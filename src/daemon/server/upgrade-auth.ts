import type { LoginRole } from '../auth/login-codes.js';
import type { AuthPolicy } from '../auth/tokens.js';

export type UpgradeCredential = { kind: 'none' } | { kind: 'signed_in'; role: LoginRole; via: 'upgrade_token' | 'upgrade_host_token' } | { kind: 'refused' };

/**
 * `Authorization: Bearer <token>` on the WebSocket upgrade (issue 26): the host token signs
 * the connection in as a host, the client token as a client, before any frame, so a client
 * with the token never waits behind connections that have not signed in. Anything else in
 * the header is refused (401) before the upgrade. No header: the client signs in with
 * `session.auth` as before (browsers cannot set the header).
 */
export function credentialAtUpgrade(header: string | undefined, auth: Pick<AuthPolicy, 'checkClientToken' | 'checkHostToken'>): UpgradeCredential {
  if (header === undefined) return { kind: 'none' };
  const bearer = /^Bearer +([\x21-\x7e]+) *$/i.exec(header);
  if (!bearer) return { kind: 'refused' };
  const token = bearer[1]!;
  if (auth.checkHostToken(token)) return { kind: 'signed_in', role: 'host', via: 'upgrade_host_token' };
  if (auth.checkClientToken(token)) return { kind: 'signed_in', role: 'client', via: 'upgrade_token' };
  return { kind: 'refused' };
}
