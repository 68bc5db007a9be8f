import { emptyParams, type DaemonStatus, type SessionInfo } from '../../protocol/core.js';
import { PROTOCOL_VERSION } from '../../protocol/methods.js';
import { VERSION } from '../../version.js';
import { method, type MethodTable } from '../rpc/method-table.js';
import type { ServerState } from '../state/server-state.js';
import type { ClientSession } from './client-session.js';

/** `sessions.list`, `daemon.status`, `daemon.shutdown` (§9). */
export const sessionMethods: MethodTable = {
  'sessions.list': method({
    params: emptyParams,
    handler(_params, { state, session }) {
      const sessions: SessionInfo[] = [];
      for (const other of state.sessions.values()) sessions.push(describeSession(state, other, other === session));
      return { sessions };
    },
  }),

  'daemon.status': method({
    params: emptyParams,
    handler(_params, { state }): DaemonStatus {
      return {
        version: VERSION,
        protocol_version: PROTOCOL_VERSION,
        pid: process.pid,
        url: state.url,
        state_root: state.stateRoot,
        journal_file: state.journal.file,
        started_at: state.startedAt.toISOString(),
        uptime_s: Math.round((Date.now() - state.startedAt.getTime()) / 1000),
        auth_enabled: state.auth.enabled,
        sessions: state.sessions.size,
        ...state.statusContributions(),
      };
    },
  }),

  'daemon.shutdown': method({
    params: emptyParams,
    hostOnly: true,
    handler(_params, { state }) {
      // Let the response reach the client before sessions are closed.
      setImmediate(() => state.requestShutdown('shutdown_requested'));
      return { stopping: true as const };
    },
  }),
};

function describeSession(state: ServerState, session: ClientSession, isSelf: boolean): SessionInfo {
  return {
    id: session.id,
    is_self: isSelf,
    connected_at: session.connectedAt.toISOString(),
    remote: session.remote,
    authenticated: session.authenticated,
    role: session.role,
    protocol_version: session.protocolVersion,
    client_version: session.clientVersion,
    subscriptions: [...session.subscriptions],
    memory: { scope: state.memoryScopeOf(session), namespace: session.memoryNamespace },
    voice_sessions: [],
    meetings: [],
    host_agents: [],
    inflight: session.inflight.size,
    requests_total: session.requestsTotal,
    last_activity_at: session.lastActivityAt.toISOString(),
    ...state.lifecycle.describe(session),
  };
}
