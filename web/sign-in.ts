import { connectBrowser, type Connection } from '../src/client/browser.js';
import { BROWSER_SESSION_PATH, type BrowserSessionState } from '../src/protocol/browser-session.js';

/**
 * Takes the one-time code out of the address bar (`#code=…`) before anything else runs,
 * replacing the history entry so Back cannot bring it back. Fragments never reach the
 * server, and the code is not kept anywhere but in this function's caller.
 */
export function takeLoginCode(): string | null {
  const code = new URLSearchParams(location.hash.slice(1)).get('code');
  if (location.hash) history.replaceState(null, '', `${location.pathname}${location.search}`);
  return code;
}

export interface SignedIn {
  connection: Connection;
  role: string;
  /** When the browser session ends (`null` on a daemon without auth). */
  expiresAt: string | null;
}

export type SessionCheck = { signedIn: true; expiresAt: string | null } | { signedIn: false; reason: string | null };

/**
 * Makes sure this browser holds a session cookie: a fresh code is traded for one (`POST
 * /session`, same origin, so the daemon sets an HttpOnly cookie script never sees); without
 * a code, or when the code was already used, the daemon says whether the cookie from an
 * earlier sign-in is still good. The cookie rides along on every request and upgrade.
 */
export async function ensureBrowserSession(code: string | null): Promise<SessionCheck> {
  let refused: string | null = null;
  if (code) {
    const traded = await sessionRequest('POST', JSON.stringify({ code }));
    if (traded.signed_in) return { signedIn: true, expiresAt: traded.expires_at };
    refused = traded.error ?? 'the daemon refused the sign-in link';
  }
  const current = await sessionRequest('GET');
  return current.signed_in ? { signedIn: true, expiresAt: current.expires_at } : { signedIn: false, reason: refused };
}

/**
 * Opens the page's WebSocket, which its upgrade signs in with the cookie. `session.auth`
 * then only binds memory namespace 'default', as the CLI's memory commands do, so what
 * `car memory add` stored is what the memory view finds.
 */
export async function connect(expiresAt: string | null): Promise<SignedIn> {
  const connection = await connectBrowser({ memoryNamespace: 'default', clientVersion: 'car-ui' });
  const auth = connection.auth!;
  return { connection, role: auth.auth_enabled ? (auth.role ?? 'client') : 'anonymous', expiresAt };
}

/** Ends the browser session: the daemon forgets it, clears the cookie and closes the page's connection. */
export async function signOut(): Promise<void> {
  await sessionRequest('DELETE');
}

async function sessionRequest(method: 'GET' | 'POST' | 'DELETE', body?: string): Promise<BrowserSessionState> {
  const response = await fetch(BROWSER_SESSION_PATH, {
    method,
    body,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    credentials: 'same-origin',
    cache: 'no-store',
  });
  return (await response.json()) as BrowserSessionState;
}
