import { z } from 'zod';
import { carries, defineMethods, defineNotifications, returns } from './descriptor.js';
import { emptyParams } from './core.js';

/** Host registry: agents, approvals, events, subscriptions (PROTOCOL.md §12). */

export const AGENT_STATUSES = ['idle', 'running', 'waiting_for_approval', 'paused', 'completed', 'errored', 'stopped'] as const;
export const APPROVAL_STATUSES = ['pending', 'approved', 'denied', 'expired', 'cancelled'] as const;
export type AgentStatus = (typeof AGENT_STATUSES)[number];
export type ApprovalStatus = (typeof APPROVAL_STATUSES)[number];

/** History kept by the daemon (UPSTREAM `MAX_EVENTS`). */
export const MAX_HOST_EVENTS = 500;
/** Events in a `host.subscribe` snapshot. */
export const SNAPSHOT_EVENTS = 100;
/** Event kinds only the daemon emits; `host.notify` may not use them. */
export const RESERVED_EVENT_PREFIXES = ['agent.', 'approval.', 'a2ui.'] as const;
export const DEFAULT_NOTIFY_KIND = 'host.notification';

const notBlank = (value: string) => /\S/.test(value);

const text = (max: number) =>
  z
    .string()
    .min(1, 'must not be empty')
    .max(max, `must be at most ${max} characters`)
    .refine(notBlank, 'must not be blank');

const optionalText = (max: number) => z.string().max(max, `must be at most ${max} characters`).nullable().optional();

/** Caller-chosen ids are printable ASCII without spaces, so they read and quote cleanly in a terminal. */
const objectId = z.string().regex(/^[\x21-\x7e]{1,128}$/, 'must be 1-128 printable ASCII characters without spaces');

/** A free-form JSON object (`display`, `metadata`, `context`). */
const freeForm = z.record(z.string(), z.unknown());

export const agentStatus = z.enum(AGENT_STATUSES, { error: `must be one of ${AGENT_STATUSES.join(', ')}` });
export const approvalStatus = z.enum(APPROVAL_STATUSES, { error: `must be one of ${APPROVAL_STATUSES.join(', ')}` });

export const hostEventsParams = z.strictObject({
  limit: z.number().int('must be a whole number').min(1, 'must be at least 1').max(MAX_HOST_EVENTS, `must be at most ${MAX_HOST_EVENTS}`).default(SNAPSHOT_EVENTS),
});

export const hostApprovalsParams = z.strictObject({ status: approvalStatus.optional() });

export const registerAgentParams = z.strictObject({
  id: objectId.optional(),
  name: text(256),
  kind: text(128),
  capabilities: z.array(text(128)).max(64, 'must list at most 64 capabilities').optional(),
  project: optionalText(512),
  pid: z.number().int('must be a whole number').min(1, 'must be a process id (at least 1)').nullable().optional(),
  display: freeForm.nullable().optional(),
  metadata: freeForm.optional(),
});

export const unregisterAgentParams = z.strictObject({ agent_id: objectId });

export const setStatusParams = z.strictObject({
  agent_id: objectId,
  status: agentStatus,
  current_task: optionalText(1024),
  message: optionalText(4096),
  payload: z.unknown().optional(),
});

export const notifyParams = z.strictObject({
  kind: z
    .string()
    .regex(/^[\x21-\x7e]{1,128}$/, 'must be 1-128 printable ASCII characters without spaces')
    .refine(
      (kind) => !RESERVED_EVENT_PREFIXES.some((prefix) => kind.startsWith(prefix)),
      `must not start with ${RESERVED_EVENT_PREFIXES.map((prefix) => `'${prefix}'`).join(', ')} (the daemon's own events); use '${DEFAULT_NOTIFY_KIND}' or a kind of your own such as 'build.finished'`,
    )
    .default(DEFAULT_NOTIFY_KIND),
  agent_id: objectId.optional(),
  message: optionalText(4096),
  payload: z.unknown().optional(),
});

export const requestApprovalParams = z.strictObject({
  agent_id: objectId.optional(),
  title: text(512),
  description: optionalText(4096),
  context: freeForm.optional(),
  required_approvals: z.number().int('must be a whole number').min(1, 'must be at least 1').max(10, 'must be at most 10').default(1),
});

/** `approved: boolean` (protocol reference) or `resolution: "approve" | "deny"` (gate text); exactly one (§22). */
export const resolveApprovalParams = z
  .strictObject({
    approval_id: objectId,
    approved: z.boolean().optional(),
    resolution: z.enum(['approve', 'deny'], { error: "must be 'approve' or 'deny'" }).optional(),
    notes: optionalText(4096),
  })
  .superRefine((params, ctx) => {
    if ((params.approved === undefined) === (params.resolution === undefined)) {
      ctx.addIssue({
        code: 'custom',
        path: ['approved'],
        message: "pass exactly one of 'approved' (true or false) and 'resolution' ('approve' or 'deny')",
      });
    }
  })
  .transform(({ approval_id, approved, resolution, notes }) => ({ approval_id, approved: approved ?? resolution === 'approve', notes: notes ?? null }));

export interface HostAgent {
  id: string;
  name: string;
  kind: string;
  capabilities: string[];
  project: string | null;
  status: AgentStatus;
  current_task: string | null;
  pid: number | null;
  display: Record<string, unknown> | null;
  metadata: Record<string, unknown>;
  session_id: string;
  registered_at: string;
  updated_at: string;
}

export interface HostApprovalResolution {
  approved: boolean;
  notes: string | null;
  by_session: string;
}

export interface HostApproval {
  id: string;
  agent_id: string | null;
  action: string;
  description: string | null;
  details: Record<string, unknown>;
  options: string[];
  status: ApprovalStatus;
  required_approvals: number;
  approvals: number;
  /** Owning session; `null` for a system approval raised by the method gate (§13). */
  client_id: string | null;
  created_at: string;
  resolved_at: string | null;
  resolution: HostApprovalResolution | null;
}

export interface HostEvent {
  id: string;
  sequence: number;
  timestamp: string;
  kind: string;
  agent_id: string | null;
  message: string | null;
  payload: unknown;
}

export interface HostIdentity {
  version: string;
  pid: number;
  state_root: string | null;
}

export interface HostSubscribeResult {
  subscribed: true;
  agents: HostAgent[];
  approvals: HostApproval[];
  events: HostEvent[];
  event_sequence: number;
  identity: HostIdentity;
}

export const hostContract = defineMethods({
  'host.subscribe': { params: emptyParams, result: returns<HostSubscribeResult>() },
  'host.unsubscribe': { params: emptyParams, result: returns<{ subscribed: false }>() },
  'host.agents': { params: emptyParams, result: returns<HostAgent[]>() },
  'host.events': { params: hostEventsParams, result: returns<{ events: HostEvent[] }>() },
  'host.approvals': { params: hostApprovalsParams, result: returns<{ approvals: HostApproval[] }>() },
  'host.register_agent': { params: registerAgentParams, result: returns<HostAgent>() },
  'host.unregister_agent': { params: unregisterAgentParams, result: returns<{ ok: true }>() },
  'host.set_status': { params: setStatusParams, result: returns<HostAgent>() },
  'host.notify': { params: notifyParams, result: returns<HostEvent>() },
  'host.request_approval': { params: requestApprovalParams, result: returns<HostApproval>() },
  'host.resolve_approval': { params: resolveApprovalParams, result: returns<HostApproval>() },
});

export const hostNotifications = defineNotifications({
  'host.event': carries<HostEvent>(),
});
