import { z } from 'zod';

/** Core methods: auth, handshake, sessions, daemon (PROTOCOL.md §5, §6, §9). */

export const sessionAuthParams = z.strictObject({
  token: z.string().optional(),
  host_token: z.string().optional(),
  memory_namespace: z.string().optional(),
  agent_id: z.unknown().optional(),
});

export const handshakeParams = z.strictObject({
  protocol_version: z.unknown().optional(),
  client_version: z.string().max(200).optional(),
});

export const emptyParams = z.strictObject({});

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

declare module './methods.js' {
  interface MethodMap {
    'session.auth': { params: z.input<typeof sessionAuthParams>; result: SessionAuthResult };
    'server.handshake': { params: { protocol_version: number; client_version?: string }; result: HandshakeResult };
    'sessions.list': { params: z.input<typeof sessionsListParams>; result: SessionsListResult };
    'daemon.status': { params: Record<string, never>; result: DaemonStatus };
    'daemon.shutdown': { params: Record<string, never>; result: { stopping: true } };
  }
}
