import type { JournalWriter } from '../state/capability.js';
import { log } from '../log.js';
import type { ClientSession } from './client-session.js';

/** Connections that never signed in are journaled and logged as counts this often (issue 26). */
const PRE_AUTH_REPORT_MS = 60_000;

/**
 * What the journal keeps of sessions (docs/protocol.md#journal, issue 26): a session that signs in gets
 * `session_created` (with its connect time), `session_authenticated` and `session_removed`;
 * one that never signs in, and every refused credential, is only counted (by close reason,
 * by where the credential came) and the counts are written as one `preauth_closed` event
 * and one log line per minute. So failed sign-ins cost the disk a few hundred bytes a
 * minute, however many there are.
 */
export class SignInJournal {
  /** Credentials refused, by where they were presented. */
  private refused = new Map<string, number>();
  /** Sessions closed before signing in, by close reason. */
  private closed = new Map<string, number>();
  private since = new Date();
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly journal: JournalWriter) {}

  /** A new connection's session; journaled at once only when it starts signed in (auth off, or a token with the upgrade). */
  opened(session: ClientSession): void {
    if (session.signedIn) this.created(session);
  }

  signedIn(session: ClientSession, data: Record<string, unknown>): void {
    this.created(session);
    this.journal.append('session_authenticated', session.id, data);
  }

  /** A refused credential; true when it is the first of its kind this interval, which the caller logs in full. */
  failed(where: 'session_auth' | 'upgrade_token' | 'browser_session'): boolean {
    return this.count(this.refused, where) === 1;
  }

  /** The session is gone (docs/protocol.md#teardown, step 9). */
  removed(session: ClientSession, data: { reason: string; close_code: number | null; duration_ms: number }): void {
    if (session.journaled) this.journal.append('session_removed', session.id, data);
    else this.count(this.closed, data.reason);
  }

  /** Writes the counts gathered so far (also at shutdown). */
  flush(): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    if (this.refused.size === 0 && this.closed.size === 0) return;
    const summary = {
      refused: total(this.refused),
      refused_at: Object.fromEntries(this.refused),
      closed: total(this.closed),
      close_reasons: Object.fromEntries(this.closed),
      since: this.since.toISOString(),
      until: new Date().toISOString(),
    };
    this.journal.append('preauth_closed', null, summary);
    log.info('sign-ins refused and connections closed before signing in', summary);
    this.refused = new Map();
    this.closed = new Map();
  }

  private created(session: ClientSession): void {
    if (session.journaled) return;
    session.journaled = true;
    this.journal.append('session_created', session.id, { remote: session.remote, connected_at: session.connectedAtIso });
  }

  private count(counts: Map<string, number>, key: string): number {
    if (this.timer === null) this.since = new Date();
    const count = (counts.get(key) ?? 0) + 1;
    counts.set(key, count);
    this.timer ??= setTimeout(() => this.flush(), PRE_AUTH_REPORT_MS).unref();
    return count;
  }
}

const total = (counts: Map<string, number>): number => [...counts.values()].reduce((sum, each) => sum + each, 0);
