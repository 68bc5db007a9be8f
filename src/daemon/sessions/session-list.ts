import type { MemoryScope, SessionInfo } from '../../protocol/core.js';
import { RawJson } from '../rpc/raw-json.js';
import type { SessionDirectory } from '../state/capability.js';
import type { ClientSession } from './client-session.js';
import type { SessionLifecycle } from './lifecycle.js';

/** What the listing reads: the live sessions, each capability's fields, and the memory scope. */
export interface ListedSessions {
  readonly sessions: SessionDirectory;
  readonly lifecycle: Pick<SessionLifecycle, 'describe'>;
  memoryScopeOf(session: ClientSession): MemoryScope;
}

interface Snapshot {
  rows: Buffer;
  /** Byte span of each session's row in `rows`, to splice in the caller's own fresh row. */
  spans: Map<string, { start: number; end: number }>;
}

const OPEN = Buffer.from('{"sessions":[');
const CLOSE = Buffer.from(']}');
const COMMA = Buffer.from(',');

/**
 * `sessions.list` for many callers at once. Other sessions' rows are serialised and
 * UTF-8 encoded once per event-loop turn and shared by every call in that turn; the
 * caller's own row is always fresh. With 64 busy connections this turns O(sessions)
 * work per call into one buffer copy.
 */
export class SessionListing {
  private snapshot: Snapshot | null = null;

  constructor(private readonly state: ListedSessions) {}

  list(caller: ClientSession): RawJson<{ sessions: SessionInfo[] }> {
    const snapshot = (this.snapshot ??= this.take());
    const own = snapshot.spans.get(caller.id);
    const self = Buffer.from(JSON.stringify(this.describe(caller, true)));
    if (!own) return new RawJson<{ sessions: SessionInfo[] }>(snapshot.rows.length ? [OPEN, snapshot.rows, COMMA, self, CLOSE] : [OPEN, self, CLOSE]);
    return new RawJson<{ sessions: SessionInfo[] }>([OPEN, snapshot.rows.subarray(0, own.start), self, snapshot.rows.subarray(own.end), CLOSE]);
  }

  describe(session: ClientSession, isSelf: boolean): SessionInfo {
    return {
      id: session.id,
      is_self: isSelf,
      connected_at: session.connectedAtIso,
      remote: session.remote,
      authenticated: session.authenticated,
      role: session.role,
      protocol_version: session.protocolVersion,
      client_version: session.clientVersion,
      subscriptions: [...session.subscriptions],
      memory: { scope: this.state.memoryScopeOf(session), namespace: session.memoryNamespace },
      voice_sessions: [],
      meetings: [],
      host_agents: [],
      inflight: session.inflight.size,
      requests_total: session.requestsTotal,
      last_activity_at: new Date(session.lastActivityAt).toISOString(),
      ...this.state.lifecycle.describe(session),
    };
  }

  private take(): Snapshot {
    setImmediate(() => (this.snapshot = null));
    const spans = new Map<string, { start: number; end: number }>();
    const rows: string[] = [];
    let offset = 0;
    for (const session of this.state.sessions.values()) {
      const row = JSON.stringify(this.describe(session, false));
      const bytes = Buffer.byteLength(row);
      spans.set(session.id, { start: offset, end: offset + bytes });
      rows.push(row);
      offset += bytes + 1;
    }
    return { rows: Buffer.from(rows.join(',')), spans };
  }
}
