import { z } from 'zod';
import { defineMethods, defineNotifications } from './descriptor.js';
import { emptyParams } from './core.js';

/** Host registry: agents, approvals, events, subscriptions (docs/protocol.md#namespace-host). */

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

const text = (max: number) => z.string().min(1, 'must not be empty').max(max, `must be at most ${max} characters`).refine(notBlank, 'must not be blank');

const optionalText = (max: number) => z.string().max(max, `must be at most ${max} characters`).nullable().optional();

/** Caller-chosen ids are printable ASCII without spaces, so they read and quote cleanly in a terminal. */
const objectId = z.string().regex(/^[\x21-\x7e]{1,128}$/, 'must be 1-128 printable ASCII characters without spaces');

/** A free-form JSON object (`display`, `metadata`, `context`). */
const freeForm = z.record(z.string(), z.unknown());

export const agentStatus = z.enum(AGENT_STATUSES, { error: `must be one of ${AGENT_STATUSES.join(', ')}` });
export const approvalStatus = z.enum(APPROVAL_STATUSES, { error: `must be one of ${APPROVAL_STATUSES.join(', ')}` });

export const hostEventsParams = z.strictObject({
  limit: z
    .number()
    .int('must be a whole number')
    .min(1, 'must be at least 1')
    .max(MAX_HOST_EVENTS, `must be at most ${MAX_HOST_EVENTS}`)
    .default(SNAPSHOT_EVENTS),
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

/** `approved: boolean` (protocol reference) or `resolution: "approve" | "deny"` (gate text); exactly one (docs/protocol.md#host-resolve_approval). */
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

const isoTime = z.string().describe('ISO-8601');

export const hostAgent = z
  .object({
    id: z.string().describe("caller-chosen, or 'agent-' and 12 hex digits"),
    name: z.string(),
    kind: z.string(),
    capabilities: z.array(z.string()),
    project: z.string().nullable(),
    status: z.enum(AGENT_STATUSES).describe("new agents start 'idle'"),
    current_task: z.string().nullable(),
    pid: z.number().int().nullable(),
    display: z.record(z.string(), z.unknown()).nullable().describe('free-form, as registered'),
    metadata: z.record(z.string(), z.unknown()).describe('free-form, as registered'),
    session_id: z.string().describe('the owning session: only it may change or unregister the agent'),
    registered_at: isoTime,
    updated_at: isoTime,
  })
  .meta({ id: 'HostAgent' });
export type HostAgent = z.output<typeof hostAgent>;

export const hostApprovalResolution = z.object({
  approved: z.boolean(),
  notes: z.string().nullable(),
  by_session: z.string(),
});
export type HostApprovalResolution = z.output<typeof hostApprovalResolution>;

export const hostApproval = z
  .object({
    id: z.string().describe("'approval-' and 12 hex digits"),
    agent_id: z.string().nullable(),
    action: z.string().describe("the request's title; 'ws.method:<method>' for the method approval gate"),
    description: z.string().nullable(),
    details: z.record(z.string(), z.unknown()).describe("the request's context; for the gate, a params preview cut at 512 characters"),
    options: z.array(z.string()).describe("['approve', 'deny']"),
    status: z.enum(APPROVAL_STATUSES),
    required_approvals: z.number().int(),
    approvals: z.number().int().describe('approve votes so far, one per distinct session'),
    client_id: z.string().nullable().describe('the owning session; null for a system approval raised by the method approval gate'),
    created_at: isoTime,
    resolved_at: isoTime.nullable(),
    resolution: hostApprovalResolution.nullable(),
  })
  .meta({ id: 'HostApproval' });
export type HostApproval = z.output<typeof hostApproval>;

export const hostEvent = z
  .object({
    id: z.string(),
    sequence: z.number().int().describe('per daemon run, from 1, strictly increasing across all kinds'),
    timestamp: isoTime,
    kind: z
      .string()
      .describe(
        "'agent.registered', 'agent.unregistered', 'agent.status_changed', 'approval.requested', 'approval.voted', 'approval.resolved', 'a2ui.surface_updated', 'a2ui.surface_deleted', 'a2ui.action', or a host.notify kind",
      ),
    agent_id: z.string().nullable(),
    message: z.string().nullable(),
    payload: z
      .unknown()
      .describe("depends on kind: e.g. { agent, updated } for agent.registered, { approval } for approval.*, the caller's payload for host.notify"),
  })
  .meta({ id: 'HostEvent' });
export type HostEvent = z.output<typeof hostEvent>;

export const hostIdentity = z.object({ version: z.string(), pid: z.number().int(), state_root: z.string().nullable() });
export type HostIdentity = z.output<typeof hostIdentity>;

export const hostSubscribeResult = z.object({
  subscribed: z.literal(true),
  agents: z.array(hostAgent),
  approvals: z.array(hostApproval),
  events: z.array(hostEvent).describe(`the last ${SNAPSHOT_EVENTS} events, oldest first`),
  event_sequence: z.number().int().describe('the highest sequence at snapshot time: keep live events above it, drop older duplicates'),
  identity: hostIdentity,
});
export type HostSubscribeResult = z.output<typeof hostSubscribeResult>;

export const hostContract = defineMethods({
  'host.subscribe': {
    params: emptyParams,
    result: hostSubscribeResult,
    summary: 'Subscribes the connection to host.event and returns a snapshot of agents, approvals and recent events; needs server.handshake.',
  },
  'host.unsubscribe': { params: emptyParams, result: z.object({ subscribed: z.literal(false) }), summary: 'Stops host.event for this connection; idempotent.' },
  'host.agents': { params: emptyParams, result: z.array(hostAgent), summary: "Every session's host agents." },
  'host.events': {
    params: hostEventsParams,
    result: z.object({ events: z.array(hostEvent).describe('oldest first') }),
    summary: `The last events of the history (a ring of ${MAX_HOST_EVENTS}).`,
  },
  'host.approvals': {
    params: hostApprovalsParams,
    result: z.object({ approvals: z.array(hostApproval).describe('newest first') }),
    summary: 'Approvals, optionally of one status.',
  },
  'host.register_agent': {
    params: registerAgentParams,
    result: hostAgent,
    summary: 'Registers (or updates) an agent owned by this session; an id owned by another session is refused.',
  },
  'host.unregister_agent': {
    params: unregisterAgentParams,
    result: z.object({ ok: z.literal(true) }),
    summary: "Removes one of this session's agents; its pending approvals become cancelled.",
  },
  'host.set_status': { params: setStatusParams, result: hostAgent, summary: "Sets the status of one of this session's agents (event agent.status_changed)." },
  'host.notify': { params: notifyParams, result: hostEvent, summary: 'Records and broadcasts a host event of a kind of the caller.' },
  'host.request_approval': {
    params: requestApprovalParams,
    result: hostApproval,
    summary: "Raises an approval owned by this session; a given agent of the caller flips to 'waiting_for_approval'.",
  },
  'host.resolve_approval': {
    params: resolveApprovalParams,
    result: hostApproval,
    summary: 'Votes on an approval: its owner or a host-role session for owned ones, any session for system ones.',
  },
});

export const hostNotifications = defineNotifications({
  'host.event': hostEvent,
});
