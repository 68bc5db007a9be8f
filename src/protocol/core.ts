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
  /** Each remote model's own gate (`--max-concurrent`), separate from the local one above. */
  remote: RemoteAdmissionStatus[];
}

export interface RemoteAdmissionStatus {
  model: string;
  permits_total: number;
  permits_in_use: number;
  permits_available: number;
  queued: number;
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
