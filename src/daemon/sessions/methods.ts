import { emptyParams, sessionsListParams, type DaemonStatus } from '../../protocol/core.js';
import { PROTOCOL_VERSION } from '../../protocol/methods.js';
import { VERSION } from '../../version.js';
import { method, type MethodTable } from '../rpc/method-table.js';

/** `sessions.list`, `daemon.status`, `daemon.shutdown` (§9). */
export const sessionMethods: MethodTable = {
  'sessions.list': method({
    params: sessionsListParams,
    handler: (params, { state, session }) => state.sessionListing.list(session, params),
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
