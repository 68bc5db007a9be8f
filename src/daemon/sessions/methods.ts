import { sessionsContract, type DaemonStatus, type WriteStatus } from '../../protocol/core.js';
import { PROTOCOL_VERSION } from '../../protocol/methods.js';
import { VERSION } from '../../version.js';
import { log } from '../log.js';
import { implement, type MethodTable } from '../rpc/method-table.js';
import type { SessionListing } from './session-list.js';

/** What the daemon's own methods read of the server (ServerState implements it). */
export interface ServerInfo {
  readonly sessionListing: Pick<SessionListing, 'list'>;
  readonly url: string | null;
  readonly stateRoot: string | null;
  readonly journal: { readonly file: string; status(): WriteStatus };
  readonly startedAt: Date;
  readonly auth: { readonly enabled: boolean };
  readonly sessions: { readonly size: number };
  statusContributions(): Pick<DaemonStatus, 'admission' | 'inference' | 'connections'>;
  requestShutdown(reason: string): void;
}

/** `sessions.list`, `daemon.status`, `daemon.shutdown` (docs/protocol.md#namespace-core). */
export const sessionMethods = (server: ServerInfo): MethodTable =>
  implement(sessionsContract, {
    'sessions.list': {
      handler: (params, { session }) => server.sessionListing.list(session, params),
    },

    'daemon.status': {
      handler(_params): DaemonStatus {
        return {
          version: VERSION,
          protocol_version: PROTOCOL_VERSION,
          pid: process.pid,
          url: server.url,
          state_root: server.stateRoot,
          journal_file: server.journal.file,
          started_at: server.startedAt.toISOString(),
          uptime_s: Math.round((Date.now() - server.startedAt.getTime()) / 1000),
          auth_enabled: server.auth.enabled,
          sessions: server.sessions.size,
          journal_writes: server.journal.status(),
          log_writes: log.writeStatus(),
          ...server.statusContributions(),
        };
      },
    },

    'daemon.shutdown': {
      hostOnly: true,
      handler(_params) {
        // Let the response reach the client before sessions are closed.
        setImmediate(() => server.requestShutdown('shutdown_requested'));
        return { stopping: true as const };
      },
    },
  });
