import type { IncomingMessage, ServerResponse } from 'node:http';
import { BROWSER_SESSION_PATH, type BrowserSessionState } from '../../protocol/browser-session.js';
import { BrowserSessionBook, type SignedInConnection } from '../auth/browser-sessions.js';
import type { LoginRole } from '../auth/login-codes.js';
import type { AuthPolicy } from '../auth/tokens.js';
import { log, PRE_AUTH_PEER } from '../log.js';
import type { SignInJournal } from '../sessions/sign-in-journal.js';
import type { JournalWriter } from '../state/capability.js';
import { hasLoopbackHost, isLoopbackPeer } from './origin.js';
import { clearedSessionCookieHeader, daemonPortOf, sessionCookieHeader, sessionCookieOf } from './session-cookie.js';

const MAX_SIGN_IN_BODY_BYTES = 1024;
const BODY_TIMEOUT_MS = 10_000;

type Answer = { status: number; state: BrowserSessionState; cookie?: string };

/** What a session cookie signs an upgrade in as (the shape `ServerState.createSession` takes). */
export interface BrowserCredential {
  role: LoginRole;
  via: 'browser_session';
}

/**
 * The browser UI's session cookie, end to end: `POST /session` trades a one-time code from
 * `car ui` for the cookie, `GET /session` says whether the browser is signed in, `DELETE
 * /session` signs out; and {@link credentialAtUpgrade} signs a WebSocket in when its upgrade
 * carries the cookie from the daemon's own origin. The cookie value never reaches a URL,
 * a log line, the journal or script in the page (HttpOnly).
 */
export class BrowserSignIn {
  readonly sessions: BrowserSessionBook;

  constructor(
    private readonly auth: Pick<AuthPolicy, 'enabled' | 'loginCodes'>,
    private readonly journal: JournalWriter,
    private readonly signIns: Pick<SignInJournal, 'failed'>,
    ttlMs?: number,
  ) {
    this.sessions = new BrowserSessionBook(ttlMs);
  }

  handles(req: IncomingMessage): boolean {
    // Compared as text: this runs for every HTTP request, and a request target such as `//` does not parse as a URL.
    return (req.url ?? '').split('?')[0] === BROWSER_SESSION_PATH;
  }

  async answer(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const answer = await this.answerFor(req).catch((error: Error): Answer => ({ status: 400, state: { signed_in: false, error: error.message } }));
    const body = JSON.stringify(answer.state);
    res.writeHead(answer.status, {
      'content-type': 'application/json; charset=utf-8',
      'content-length': Buffer.byteLength(body),
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
      ...(answer.cookie ? { 'set-cookie': answer.cookie } : {}),
    });
    res.end(body);
  }

  /**
   * The upgrade hook: maps an upgrade request's cookie to the role it signs in with. Only a
   * live session cookie from the daemon's own origin counts; from any other origin (another
   * port on this host is the same site, so its pages send the cookie too) or without an
   * Origin, the cookie is ignored and the connection signs in as usual.
   */
  credentialAtUpgrade(req: IncomingMessage): BrowserCredential | null {
    const token = this.auth.enabled ? sessionCookieOf(req) : undefined;
    if (token === undefined) return null;
    if (!isOwnOrigin(req)) {
      log.warn('ignored a browser session cookie on an upgrade from another origin', { origin: req.headers.origin ?? 'none' }, PRE_AUTH_PEER);
      return null;
    }
    const found = this.sessions.find(token);
    return found ? { role: found.role, via: 'browser_session' } : null;
  }

  /** Remembers the connection a cookie signed in, so signing out closes it. */
  closeOnSignOut(req: IncomingMessage, session: SignedInConnection): void {
    const token = sessionCookieOf(req);
    if (token !== undefined) this.sessions.attach(token, session);
  }

  private async answerFor(req: IncomingMessage): Promise<Answer> {
    if (!isLoopbackPeer(req.socket.remoteAddress) || !hasLoopbackHost(req.headers.host))
      return refused(403, 'the car UI is served to this machine only; open the link `car ui` prints');
    const port = daemonPortOf(req);
    if (req.method === 'GET' || req.method === 'HEAD') return this.current(req, port);
    if (!isOwnOrigin(req)) return refused(403, "sign-in and sign-out are accepted from the daemon's own page only");
    if (req.method === 'POST') return this.signIn(req, port);
    if (req.method === 'DELETE') return this.signOut(req, port);
    return refused(405, 'use GET, POST or DELETE on /session');
  }

  private current(req: IncomingMessage, port: number): Answer {
    if (!this.auth.enabled) return { status: 200, state: { signed_in: true, role: 'anonymous', expires_at: null } };
    const token = sessionCookieOf(req);
    const found = token === undefined ? null : this.sessions.find(token);
    if (found) return { status: 200, state: { signed_in: true, role: found.role, expires_at: found.expiresAt.toISOString() } };
    // A cookie the daemon no longer knows (expired, signed out, or from before a restart) is dropped.
    return { status: 200, state: { signed_in: false }, ...(token !== undefined ? { cookie: clearedSessionCookieHeader(port) } : {}) };
  }

  private async signIn(req: IncomingMessage, port: number): Promise<Answer> {
    // Without auth every connection has host rights already; there is nothing to remember.
    if (!this.auth.enabled) return this.current(req, port);
    if (!/^application\/json\b/i.test(req.headers['content-type'] ?? '')) return refused(415, 'send the code as application/json: {"code": "…"}');
    const body = await readBody(req);
    if (body === null) return refused(413, `the body must be at most ${MAX_SIGN_IN_BODY_BYTES} bytes`);
    const code = codeOf(body);
    if (code === null) return refused(400, 'the body must be {"code": "<the code from car ui>"}');
    const role = this.auth.loginCodes.redeem(code);
    if (role === null) {
      // Counted like every refused credential (issue 26): anyone local may try, so each try must not cost disk.
      if (this.signIns.failed('browser_session'))
        log.warn(
          'refused a browser sign-in with an unknown or spent code (further ones this minute are counted, not logged one by one)',
          { remote: req.socket.remoteAddress },
          PRE_AUTH_PEER,
        );
      return refused(401, 'the sign-in link is unknown, already used or expired (links work once, for 60 s); run `car ui` for a new one');
    }
    const opened = this.sessions.open(role);
    this.journal.append('browser_session_opened', null, { role, expires_at: opened.expiresAt.toISOString() });
    log.info('a browser signed in', { role, until: opened.expiresAt.toISOString() });
    return {
      status: 200,
      state: { signed_in: true, role, expires_at: opened.expiresAt.toISOString() },
      cookie: sessionCookieHeader(port, opened.token, opened.expiresAt),
    };
  }

  private signOut(req: IncomingMessage, port: number): Answer {
    const token = sessionCookieOf(req);
    if (token !== undefined && this.sessions.revoke(token)) {
      this.journal.append('browser_session_closed', null, { reason: 'signed_out' });
      log.info('a browser signed out');
    }
    return { status: 200, state: { signed_in: false }, cookie: clearedSessionCookieHeader(port) };
  }
}

/** The request comes from a page the daemon served itself: its Origin is exactly `http://` + the Host it addressed. */
function isOwnOrigin(req: IncomingMessage): boolean {
  const { origin, host } = req.headers;
  return origin !== undefined && host !== undefined && hasLoopbackHost(host) && origin === `http://${host}`;
}

function refused(status: number, error: string): Answer {
  return { status, state: { signed_in: false, error } };
}

function codeOf(body: string): string | null {
  try {
    const parsed = JSON.parse(body) as { code?: unknown };
    return typeof parsed?.code === 'string' && parsed.code.length > 0 && parsed.code.length <= 256 ? parsed.code : null;
  } catch {
    return null;
  }
}

/** The request body, or `null` when it is larger than a sign-in needs. */
function readBody(req: IncomingMessage): Promise<string | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const timer = setTimeout(() => req.destroy(new Error('the request body did not arrive in time')), BODY_TIMEOUT_MS);
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_SIGN_IN_BODY_BYTES) {
        clearTimeout(timer);
        req.removeAllListeners('data');
        req.resume();
        resolve(null);
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      clearTimeout(timer);
      resolve(Buffer.concat(chunks).toString('utf8'));
    });
    req.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
}
