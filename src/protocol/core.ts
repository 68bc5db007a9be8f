import { z } from 'zod';
import { accepts, defineMethods, returns } from './descriptor.js';

/** Core methods: auth, handshake, sessions, daemon (PROTOCOL.md §5, §6, §9). */

export const sessionAuthParams = z.strictObject({
  token: z.string().optional(),
  host_token: z.string().optional(),
  /** A one-time code from `session.login_code` (§23 "Browser sign-in"). */
  login_code: z.string().max(256, 'login_code must be at most 256 characters').optional(),
  memory_namespace: z.string().optional(),
  agent_id: z.unknown().optional(),
});

export const handshakeParams = z.strictObject({
  protocol_version: z.unknown().optional(),
  client_version: z.string().max(200).optional(),
});

export const loginCodeParams = z.strictObject({
  role: z.enum(['client', 'host'], { error: "role must be 'client' or 'host'" }).default('client'),
});

export interface LoginCodeResult {
  code: string;
  expires_at: string;
}

export const emptyParams = z.strictObject({});

/** The notification vscode-jsonrpc sends to cancel one of the session's requests (§23). */
export const CANCEL_REQUEST = '$/cancelRequest';
export const cancelRequestParams = z.object({ id: z.union([z.number(), z.string()]) });
export const SESSION_FIELDS = [
  'id',
  'is_self',
  'connected_at',
  'remote',
  'authenticated',
  'role',
  'protocol_version',
  'client_version',
  'subscriptions',
  'memory',
  'voice_sessions',
  'meetings',
  'host_agents',
  'inflight',
  'requests_total',
  'last_activity_at',
] as const;
export type SessionField = (typeof SESSION_FIELDS)[number];

/** §23 "Sessions listing": page with offset/limit (limit 0 = just the count), trim rows to `fields` (`id` always kept). */
export const sessionsListParams = z.strictObject({
  limit: z.number().int('must be a whole number').min(0, 'must be 0 or more (0 returns just the count)').optional(),
  offset: z.number().int('must be a whole number').min(0, 'must be 0 or more').optional(),
  fields: z.array(z.enum(SESSION_FIELDS, { error: `must be one of ${SESSION_FIELDS.join(', ')}` })).min(1, 'must name at least one field; omit it for whole rows').optional(),
});

/** Rows in connect order; `count` is every session, however many rows the page holds. Rows carry only the asked `fields` (and `id`) when given. */
export interface SessionsListResult {
  sessions: SessionInfo[];
  count: number;
}

export type Role = 'anonymous' | 'client' | 'host';

export interface SessionAuthResult {
  ok: true;
  auth_enabled: boolean;
  role?: 'host';
  memory_namespace?: string;
}

export interface HandshakeResult {
  protocol_version: number;
  server_version: string;
  client_protocol_version: number;
}

export type Subscription = 'host' | 'a2ui';
export type MemoryScope = 'session' | 'shared' | 'namespace';

export interface SessionInfo {
  id: string;
  is_self: boolean;
  connected_at: string;
  remote: string;
  authenticated: boolean;
  role: Role | null;
  protocol_version: number | null;
  client_version: string | null;
  subscriptions: Subscription[];
  memory: { scope: MemoryScope; namespace: string | null };
  voice_sessions: string[];
  meetings: string[];
  host_agents: string[];
  inflight: number;
  requests_total: number;
  last_activity_at: string;
}

export interface AdmissionStatus {
  permits_total: number;
  permits_available: number;
  permits_in_use: number;
  env_override: string;
  queued: number;
  source: 'ram' | 'env' | 'config';
  host_ram_bytes: number;
}

/**
 * A response header on the WebSocket upgrade (101) of a connection that needs no
 * `session.auth`: `client` or `host` when the request's `Authorization: Bearer <token>`
 * signed it in, `off` on a daemon without auth (issue 26).
 */
export const SIGNED_IN_HEADER = 'Car-Auth';

/**
 * Writes to a file the daemon keeps (the journal, its own log file), which a full or
 * read-only disk can refuse: failures are counted and retried, never fatal (issue 26).
 */
export interface WriteStatus {
  file: string | null;
  /** Failed write attempts since the daemon started. */
  failures: number;
  /** Whether the last attempt failed. */
  failing: boolean;
  /** The last failure, e.g. `ENOSPC: no space left on device`. */
  last_error: string | null;
  last_failure_at: string | null;
  /** Events (journal) or lines (log) waiting to be written. */
  pending: number;
  /** Given up since the daemon started, because the backlog was full. */
  dropped: number;
}

/** The daemon's TCP connections against its caps (§23 Connections, issue 26). */
export interface ConnectionStatus {
  open: number;
  /** Not signed in: silent, plain HTTP, or WebSockets that have not signed in. */
  pre_auth: number;
  max_connections: number;
  max_pre_auth: number;
  /** Connections not signed in that were closed to admit newer ones, since start. */
  evicted_total: number;
  /** Newcomers refused (503) because every connection had signed in, since start. */
  refused_total: number;
}

export interface DaemonStatus {
  version: string;
  protocol_version: number;
  pid: number;
  url: string | null;
  state_root: string | null;
  journal_file: string;
  started_at: string;
  uptime_s: number;
  auth_enabled: boolean;
  sessions: number;
  journal_writes: WriteStatus;
  /** `null` when the daemon logs to a terminal or a pipe rather than a file. */
  log_writes: WriteStatus | null;
  /** `null` for a state that is not served over a socket (an embedder's). */
  connections: ConnectionStatus | null;
  admission: AdmissionStatus | null;
  inference: { state: 'idle' | 'loading' | 'ready' | 'failed'; model: string | null };
}

/** Authentication (§5), browser sign-in codes (§23) and the protocol handshake (§6). */
export const authContract = defineMethods({
  'session.auth': { params: sessionAuthParams, result: returns<SessionAuthResult>() },
  'session.login_code': { params: loginCodeParams, result: returns<LoginCodeResult>() },
  'server.handshake': { params: handshakeParams, result: returns<HandshakeResult>(), clientParams: accepts<{ protocol_version: number; client_version?: string }>() },
});

/** The daemon and its sessions (§9). */
export const sessionsContract = defineMethods({
  'sessions.list': { params: sessionsListParams, result: returns<SessionsListResult>() },
  'daemon.status': { params: emptyParams, result: returns<DaemonStatus>() },
  'daemon.shutdown': { params: emptyParams, result: returns<{ stopping: true }>() },
});
