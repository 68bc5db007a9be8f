import type { IncomingMessage } from 'node:http';
import type { AuthPolicy } from '../auth/tokens.js';
import { log, PRE_AUTH_PEER } from '../log.js';
import type { SignInJournal } from '../sessions/sign-in-journal.js';
import type { BrowserSignIn } from './browser-sign-in.js';
import { isAllowedOrigin, isOwnHost, type ListenAddress } from './origin.js';
import { credentialAtUpgrade } from './upgrade-auth.js';

/** An HTTP answer in place of the upgrade. */
export interface UpgradeRefusal {
  status: number;
  text: string;
  body: string;
  headers?: Record<string, string>;
}

/** How an upgrade signed its connection in: a token in the Authorization header, or the browser UI's session cookie. */
export interface UpgradeSignIn {
  role: 'client' | 'host';
  via: 'upgrade_token' | 'upgrade_host_token' | 'browser_session';
}

export interface UpgradeContext {
  listen: ListenAddress;
  accepting: boolean;
  auth: Pick<AuthPolicy, 'enabled' | 'hint' | 'hostHint' | 'checkClientToken' | 'checkHostToken'>;
  signIns: Pick<SignInJournal, 'failed'>;
  browserSignIn: Pick<BrowserSignIn, 'credentialAtUpgrade'>;
}

/**
 * What to do with an upgrade request, before any session exists (docs/protocol.md#transport, issue 26): refuse a
 * Host or Origin that is not the daemon's own (403), any upgrade while shutting down (503)
 * and a wrong token in the Authorization header (401); otherwise say whether the header,
 * or without one the browser's session cookie, signed it in.
 */
export function checkUpgrade(req: IncomingMessage, context: UpgradeContext): { refusal: UpgradeRefusal } | { signedIn: UpgradeSignIn | null } {
  const { listen, auth } = context;
  const remote = req.socket.remoteAddress;
  if (!isOwnHost(req.headers.host, listen)) {
    log.warn('refused an upgrade for another Host', { host: req.headers.host, remote }, PRE_AUTH_PEER);
    return { refusal: { status: 403, text: 'Forbidden', body: `the Host header must be ${listen.bind}:${listen.port}, the daemon's own address` } };
  }
  if (!isAllowedOrigin(req.headers.origin, listen)) {
    log.warn("refused an upgrade from a page that is not the daemon's own", { origin: req.headers.origin, remote }, PRE_AUTH_PEER);
    return {
      refusal: {
        status: 403,
        text: 'Forbidden',
        body: `Origin refused: only the daemon's own page (http://${listen.bind}:${listen.port}) may open a WebSocket`,
      },
    };
  }
  if (!context.accepting) return { refusal: { status: 503, text: 'Service Unavailable', body: 'daemon is shutting down' } };
  if (!auth.enabled) return { signedIn: null };
  const credential = credentialAtUpgrade(req.headers.authorization, auth);
  if (credential.kind === 'refused') {
    if (context.signIns.failed('upgrade_token'))
      log.warn('refused an upgrade with a wrong token (further ones this minute are counted, not logged one by one)', { remote }, PRE_AUTH_PEER);
    return {
      refusal: {
        status: 401,
        text: 'Unauthorized',
        body: `the Authorization header must be "Bearer <token>" with this daemon's token or host token; ${auth.hint} (host token: ${auth.hostHint})`,
        headers: { 'WWW-Authenticate': 'Bearer realm="car"' },
      },
    };
  }
  if (credential.kind === 'signed_in') return { signedIn: { role: credential.role, via: credential.via } };
  // No Authorization header: a browser cannot send one, so its page signs in with the session cookie instead.
  return { signedIn: context.browserSignIn.credentialAtUpgrade(req) };
}
