/**
 * The browser UI's session over plain HTTP on the daemon's port (not JSON-RPC): the page
 * trades its one-time code for a session cookie, asks whether it is signed in, and signs out.
 */
export const BROWSER_SESSION_PATH = '/session';

/** `POST /session` body; sent as `application/json` from the daemon's own origin. */
export interface BrowserSignInRequest {
  code: string;
}

/** The answer of every `/session` request; `error` says what to do when the status is not 200. */
export type BrowserSessionState = { signed_in: true; role: 'client' | 'host' | 'anonymous'; expires_at: string | null } | { signed_in: false; error?: string };
