import { z } from 'zod';
import { accepts, defineMethods } from './descriptor.js';

/** Core methods: auth, handshake, sessions, daemon (docs/protocol.md#namespace-core). */

export const sessionAuthParams = z.strictObject({
  token: z.string().optional().describe('the client token (run/auth-token, CAR_AUTH_TOKEN)'),
  host_token: z.string().optional().describe('the host token (run/host-token, CAR_HOST_TOKEN): the host role'),
  /** A one-time code from `session.login_code` (docs/protocol.md#session-login_code). */
  login_code: z.string().max(256, 'login_code must be at most 256 characters').optional().describe('a one-time code from session.login_code, on its own'),
  memory_namespace: z.string().optional().describe('binds the session to this persistent memory graph (1-128 printable ASCII, no / or \\)'),
  agent_id: z.unknown().optional().describe('refused: agent binding is not supported'),
});

export const handshakeParams = z.strictObject({
  protocol_version: z.unknown().optional().describe('must be 2'),
  client_version: z.string().max(200).optional().describe('shown in sessions.list'),
});

export const loginCodeParams = z.strictObject({
  role: z.enum(['client', 'host'], { error: "role must be 'client' or 'host'" }).default('client'),
});

export const loginCodeResult = z.object({
  code: z.string().describe('single use; redeem it with session.auth { login_code } within 60 s'),
  expires_at: z.string().describe('ISO-8601'),
});
export type LoginCodeResult = z.output<typeof loginCodeResult>;

export const emptyParams = z.strictObject({});

/** The notification vscode-jsonrpc sends to cancel one of the session's requests (docs/protocol.md#cancellation). */
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

/** Sessions listing (docs/protocol.md#sessions-list): page with offset/limit (limit 0 = just the count), trim rows to `fields` (`id` always kept). */
export const sessionsListParams = z.strictObject({
  limit: z.number().int('must be a whole number').min(0, 'must be 0 or more (0 returns just the count)').optional(),
  offset: z.number().int('must be a whole number').min(0, 'must be 0 or more').optional(),
  fields: z
    .array(z.enum(SESSION_FIELDS, { error: `must be one of ${SESSION_FIELDS.join(', ')}` }))
    .min(1, 'must name at least one field; omit it for whole rows')
    .optional(),
});

export const ROLES = ['anonymous', 'client', 'host'] as const;
export type Role = (typeof ROLES)[number];

export const sessionAuthResult = z.object({
  ok: z.literal(true),
  auth_enabled: z.boolean(),
  role: z.literal('host').optional().describe('present when the session holds the host role'),
  memory_namespace: z.string().optional().describe('the namespace this session is bound to, if any'),
});
export type SessionAuthResult = z.output<typeof sessionAuthResult>;

export const handshakeResult = z.object({
  protocol_version: z.number().int(),
  server_version: z.string(),
  client_protocol_version: z.number().int(),
});
export type HandshakeResult = z.output<typeof handshakeResult>;

export const SUBSCRIPTIONS = ['host', 'a2ui'] as const;
export type Subscription = (typeof SUBSCRIPTIONS)[number];
export const MEMORY_SCOPES = ['session', 'shared', 'namespace'] as const;
export type MemoryScope = (typeof MEMORY_SCOPES)[number];

const isoTime = z.string().describe('ISO-8601 UTC with milliseconds');

export const sessionInfo = z
  .object({
    id: z.string().describe("'sess-' and 12 hex digits"),
    is_self: z.boolean().describe("the caller's own row"),
    connected_at: isoTime,
    remote: z.string().describe('peer address:port'),
    authenticated: z.boolean(),
    role: z.enum(ROLES).nullable().describe('null before session.auth'),
    protocol_version: z.number().int().nullable().describe('negotiated by server.handshake'),
    client_version: z.string().nullable(),
    subscriptions: z.array(z.enum(SUBSCRIPTIONS)),
    memory: z.object({ scope: z.enum(MEMORY_SCOPES), namespace: z.string().nullable() }).describe('the memory graph the session resolves to'),
    voice_sessions: z.array(z.string()).describe('voice sessions it owns'),
    meetings: z.array(z.string()).describe('live meetings it owns'),
    host_agents: z.array(z.string()).describe('host agents it owns'),
    inflight: z.number().int().describe('requests running now'),
    requests_total: z.number().int(),
    last_activity_at: isoTime.describe('last frame received'),
  })
  // `required: ['id']` is for the JSON Schema only (zod copies metadata into it): a row trimmed
  // to `fields` carries `id` and those fields. The TypeScript type keeps whole rows.
  .meta({ id: 'SessionInfo', required: ['id'] });
export type SessionInfo = z.output<typeof sessionInfo>;

/** Rows in connect order; `count` is every session, however many rows the page holds. */
export const sessionsListResult = z.object({
  sessions: z.array(sessionInfo).describe('rows in connect order; with `fields` each row carries only those fields and `id`'),
  count: z.number().int().describe('every session of the daemon, however many rows this page holds'),
});
export type SessionsListResult = z.output<typeof sessionsListResult>;

/**
 * A response header on the WebSocket upgrade (101) of a connection that needs no
 * `session.auth`: `client` or `host` when the request's `Authorization: Bearer <token>`
 * signed it in, `off` on a daemon without auth (issue 26).
 */
export const SIGNED_IN_HEADER = 'Car-Auth';

export const writeStatus = z
  .object({
    file: z.string().nullable(),
    failures: z.number().int().describe('failed write attempts since the daemon started'),
    failing: z.boolean().describe('whether the last attempt failed'),
    last_error: z.string().nullable().describe('the last failure, e.g. `ENOSPC: no space left on device`'),
    last_failure_at: isoTime.nullable(),
    pending: z.number().int().describe('events (journal) or lines (log) waiting to be written'),
    dropped: z.number().int().describe('given up since the daemon started, because the backlog was full'),
  })
  .meta({
    id: 'WriteStatus',
    description:
      'Writes to a file the daemon keeps (the journal, its own log file), which a full or read-only disk can refuse: failures are counted and retried, never fatal.',
  });
export type WriteStatus = z.output<typeof writeStatus>;

export const connectionStatus = z
  .object({
    open: z.number().int(),
    pre_auth: z.number().int().describe('not signed in: silent, plain HTTP, or WebSockets that have not signed in'),
    max_connections: z.number().int(),
    max_pre_auth: z.number().int(),
    evicted_total: z.number().int().describe('connections not signed in that were closed to admit newer ones, since start'),
    refused_total: z.number().int().describe('newcomers refused (503) because every connection had signed in, since start'),
  })
  .meta({ id: 'ConnectionStatus', description: "The daemon's TCP connections against its caps." });
export type ConnectionStatus = z.output<typeof connectionStatus>;

export const remoteAdmissionStatus = z
  .object({
    model: z.string().describe('the remote model this gate belongs to'),
    permits_total: z.number().int(),
    permits_in_use: z.number().int(),
    permits_available: z.number().int(),
    queued: z.number().int().describe('calls waiting for a permit'),
  })
  .meta({ id: 'RemoteAdmissionStatus' });
export type RemoteAdmissionStatus = z.output<typeof remoteAdmissionStatus>;

export const admissionStatus = z
  .object({
    permits_total: z.number().int(),
    permits_available: z.number().int(),
    permits_in_use: z.number().int(),
    env_override: z.string().describe("the raw CAR_INFERENCE_MAX_CONCURRENT when it was applied, '' when unset"),
    queued: z.number().int().describe('calls waiting for a permit'),
    source: z.enum(['ram', 'env', 'config']).describe('where permits_total came from'),
    host_ram_bytes: z.number().int(),
    remote: z.array(remoteAdmissionStatus).describe("each remote model's own gate (`--max-concurrent`), separate from the local one above"),
  })
  .meta({ id: 'AdmissionStatus', description: 'A snapshot of the inference admission gate; for display only, never to throttle a client.' });
export type AdmissionStatus = z.output<typeof admissionStatus>;

export const INFERENCE_STATES = ['idle', 'loading', 'ready', 'failed'] as const;

export const daemonStatus = z.object({
  version: z.string().describe('package version'),
  protocol_version: z.number().int(),
  pid: z.number().int(),
  url: z.string().nullable(),
  state_root: z.string().nullable(),
  journal_file: z.string(),
  started_at: isoTime,
  uptime_s: z.number().int(),
  auth_enabled: z.boolean(),
  sessions: z.number().int().describe('connected sessions'),
  journal_writes: writeStatus,
  log_writes: writeStatus.nullable().describe('null when the daemon logs to a terminal or a pipe rather than a file'),
  connections: connectionStatus.nullable().describe("null for a state that is not served over a socket (an embedder's)"),
  admission: admissionStatus.nullable(),
  inference: z.object({ state: z.enum(INFERENCE_STATES), model: z.string().nullable() }),
});
export type DaemonStatus = z.output<typeof daemonStatus>;

/** Authentication and browser sign-in codes (docs/protocol.md#authentication), and the protocol handshake (docs/protocol.md#server-handshake). */
export const authContract = defineMethods({
  'session.auth': {
    params: sessionAuthParams,
    result: sessionAuthResult,
    summary: 'Signs the connection in with the client token, the host token or a one-time login code; the only method allowed before it.',
  },
  'session.login_code': {
    params: loginCodeParams,
    result: loginCodeResult,
    summary: 'Mints a single-use sign-in code (60 s) for a browser; a host code needs host rights.',
  },
  'server.handshake': {
    params: handshakeParams,
    result: handshakeResult,
    clientParams: accepts<{ protocol_version: number; client_version?: string }>(),
    summary: 'Negotiates the wire protocol version (2); needed before host.subscribe.',
  },
});

/** The daemon and its sessions (docs/protocol.md#namespace-core). */
export const sessionsContract = defineMethods({
  'sessions.list': {
    params: sessionsListParams,
    result: sessionsListResult,
    summary: "Lists the daemon's sessions (every authenticated session may see them), paged and trimmed on request.",
  },
  'daemon.status': {
    params: emptyParams,
    result: daemonStatus,
    summary: 'Version, uptime, state root, sessions, connections, journal and log write health, admission and inference state of the daemon.',
  },
  'daemon.shutdown': {
    params: emptyParams,
    result: z.object({ stopping: z.literal(true) }),
    summary: 'Stops the daemon gracefully after this response (host role).',
  },
});
