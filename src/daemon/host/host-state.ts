import type { z } from 'zod';
import {
  SNAPSHOT_EVENTS,
  type ApprovalStatus,
  type HostAgent,
  type HostApproval,
  type HostEvent,
  type HostSubscribeResult,
  type notifyParams,
  type requestApprovalParams,
  type resolveApprovalParams,
  type setStatusParams,
} from '../../protocol/host.js';
import { VERSION } from '../../version.js';
import { notificationFrame, type ClientSession } from '../sessions/client-session.js';
import type { CapabilityHost } from '../state/capability.js';
import { AgentTable, type AgentRegistration } from './agent-table.js';
import { MethodApprovalGate, type ApprovalGateConfig } from './approval-gate.js';
import { ApprovalTable, type NewApproval, type SystemApprovalFields } from './approval-table.js';
import { EventLog, type EventFields } from './event-log.js';
import { assertFreeFormSize } from './json-limit.js';

export type { ApprovalGateConfig } from './approval-gate.js';

type UnregisterReason = 'requested' | 'owner_disconnected';

/**
 * `ServerState.host` (docs/protocol.md#namespace-host): agents, approvals and the event history, pushed live to
 * subscribers. Every mutation is journaled and emitted as one `host.event`; the approval
 * gate (docs/protocol.md#approval-gate) raises its system approvals here.
 */
export class HostState {
  private readonly events = new EventLog();
  private readonly agents = new AgentTable();
  private readonly approvals = new ApprovalTable();
  private readonly subscribers = new Set<ClientSession>();
  /** The journal's stand-in for the details of pending approvals that carry what must not be journaled. */
  private readonly journaledDetails = new Map<string, Record<string, unknown>>();

  /** Gate 7 (docs/protocol.md#approval-gate), raising its approvals here. */
  readonly approvalGate: MethodApprovalGate;

  constructor(
    private readonly core: CapabilityHost,
    gate: ApprovalGateConfig = {},
  ) {
    this.approvalGate = new MethodApprovalGate(this, gate);
    core.lifecycle.onTeardown(2, 'drop the host subscription', (session) => void this.unsubscribe(session));
    core.lifecycle.onTeardown(5, 'host agents and approvals', (session) => this.releaseSession(session));
    core.lifecycle.describeWith((session) => ({ host_agents: this.agents.ownedBy(session.id) }));
  }

  /**
   * Records one event under the next sequence and sends it to every subscriber, in
   * sequence order. Sending only queues the frame: a subscriber that stops reading is cut
   * off by its session (16 MiB unread) and never delays the others.
   */
  emit(kind: string, fields: EventFields): HostEvent {
    const event = this.events.append(kind, fields);
    if (this.subscribers.size > 0) {
      const frame = Buffer.from(notificationFrame('host.event', event));
      for (const session of this.subscribers) session.send(frame);
    }
    return event;
  }

  /** Registers the subscriber before reading the snapshot, so `event_sequence` tells the client which pushed events it already has. */
  subscribe(session: ClientSession): HostSubscribeResult {
    this.subscribers.add(session);
    session.subscriptions.add('host');
    return {
      subscribed: true,
      agents: this.agents.list(),
      approvals: this.approvals.list(),
      events: this.events.latest(SNAPSHOT_EVENTS),
      event_sequence: this.events.lastSequence,
      identity: { version: VERSION, pid: process.pid, state_root: this.core.stateRoot },
    };
  }

  unsubscribe(session: ClientSession): { subscribed: false } {
    this.subscribers.delete(session);
    session.subscriptions.delete('host');
    return { subscribed: false };
  }

  listAgents(): HostAgent[] {
    return this.agents.list();
  }

  listApprovals(status?: ApprovalStatus): HostApproval[] {
    return this.approvals.list(status);
  }

  latestEvents(limit: number): HostEvent[] {
    return this.events.latest(limit);
  }

  registerAgent(params: AgentRegistration, session: ClientSession): HostAgent {
    assertFreeFormSize(params.display, 'display');
    assertFreeFormSize(params.metadata, 'metadata');
    const { agent, updated } = this.agents.register(params, session);
    this.core.journal.append('host_agent_registered', session.id, { ...agent });
    this.emit('agent.registered', {
      agent_id: agent.id,
      message: `agent '${agent.name}' ${updated ? 'updated' : 'registered'}`,
      payload: { agent: { ...agent }, updated },
    });
    return agent;
  }

  unregisterAgent(agentId: string, session: ClientSession): { ok: true } {
    const agent = this.agents.owned(agentId, session, 'only the session that registered it may unregister it');
    this.dropAgent(agent, 'requested', session.id);
    return { ok: true };
  }

  setStatus(params: z.output<typeof setStatusParams>, session: ClientSession): HostAgent {
    const agent = this.agents.owned(params.agent_id, session, 'only the session that registered it may set its status');
    assertFreeFormSize(params.payload, 'payload');
    this.agents.forgetStatusBeforeApproval(agent);
    this.changeStatus(agent, params.status, params.current_task, session.id, params.message ?? null, params.payload ?? null);
    return agent;
  }

  notify(params: z.output<typeof notifyParams>, session: ClientSession): HostEvent {
    if (params.agent_id !== undefined) this.agents.get(params.agent_id);
    assertFreeFormSize(params.payload, 'payload');
    const event = this.emit(params.kind, { agent_id: params.agent_id, message: params.message, payload: params.payload });
    this.core.journal.append('host_notification', session.id, { ...event });
    return event;
  }

  /** A session's own approval; naming one of its agents flips that agent to `waiting_for_approval` until the approval is settled. */
  requestApproval(params: z.output<typeof requestApprovalParams>, session: ClientSession): HostApproval {
    const agent =
      params.agent_id === undefined ? null : this.agents.owned(params.agent_id, session, 'request approvals only for agents this session registered');
    assertFreeFormSize(params.context, 'context');
    const approval = this.raise(
      {
        agent_id: agent?.id ?? null,
        action: params.title,
        description: params.description ?? null,
        details: params.context ?? {},
        required_approvals: params.required_approvals,
        client_id: session.id,
      },
      session.id,
    );
    if (agent && this.agents.markWaiting(agent)) this.changeStatus(agent, 'waiting_for_approval', undefined, session.id, null, null);
    return approval;
  }

  resolveApproval(params: z.output<typeof resolveApprovalParams>, session: ClientSession): HostApproval {
    const { approval, settled } = this.approvals.vote(
      params.approval_id,
      { sessionId: session.id, hostRights: session.hasHostRights },
      params.approved,
      params.notes,
    );
    if (settled) {
      this.announceSettled(approval, session.id);
    } else {
      this.core.journal.append('approval_voted', session.id, { ...approval });
      this.emit('approval.voted', {
        agent_id: approval.agent_id,
        message: `approval '${approval.id}' has ${approval.approvals} of ${approval.required_approvals} approvals`,
        payload: { approval: { ...approval } },
      });
    }
    return approval;
  }

  /** A system approval (`client_id: null`) for the method gate; any authenticated session may resolve it. */
  raiseSystemApproval({ journaled_details, ...fields }: SystemApprovalFields, sessionId: string): HostApproval {
    return this.raise({ ...fields, agent_id: null, required_approvals: 1, client_id: null }, sessionId, journaled_details);
  }

  whenSettled(approvalId: string, listener: (approval: HostApproval) => void): void {
    this.approvals.whenSettled(approvalId, listener);
  }

  /** Expires or cancels an approval that is still pending; a no-op once it is final. */
  endApproval(approvalId: string, status: 'expired' | 'cancelled', sessionId: string | null): void {
    const approval = this.approvals.settleWithoutVote(approvalId, status);
    if (approval) this.announceSettled(approval, sessionId);
  }

  private raise(fields: NewApproval, sessionId: string, journaledDetails?: Record<string, unknown>): HostApproval {
    const approval = this.approvals.create(fields);
    if (journaledDetails) this.journaledDetails.set(approval.id, journaledDetails);
    this.core.journal.append('approval_requested', sessionId, this.journaled(approval));
    this.emit('approval.requested', {
      agent_id: approval.agent_id,
      message: `approval '${approval.id}' requested: ${approval.action}`,
      payload: { approval: { ...approval } },
    });
    return approval;
  }

  /** Journals and emits a final approval, then gives its agent back the status it had before, once nothing else keeps it waiting. */
  private announceSettled(approval: HostApproval, sessionId: string | null): void {
    this.core.journal.append('approval_resolved', sessionId, this.journaled(approval));
    this.journaledDetails.delete(approval.id);
    this.emit('approval.resolved', {
      agent_id: approval.agent_id,
      message: `approval '${approval.id}' ${approval.status}`,
      payload: { approval: { ...approval } },
    });
    const agent = approval.agent_id === null ? undefined : this.agents.find(approval.agent_id);
    if (!agent || this.approvals.pending((other) => other.agent_id === agent.id).length > 0) return;
    const previous = this.agents.takeStatusBeforeApproval(agent);
    if (previous !== undefined) this.changeStatus(agent, previous, undefined, sessionId, null, null);
  }

  private journaled(approval: HostApproval): Record<string, unknown> {
    const details = this.journaledDetails.get(approval.id);
    return details ? { ...approval, details } : { ...approval };
  }

  private changeStatus(
    agent: HostAgent,
    status: HostAgent['status'],
    currentTask: string | null | undefined,
    sessionId: string | null,
    message: string | null,
    payload: unknown,
  ): void {
    const previous = this.agents.setStatus(agent, status, currentTask);
    this.core.journal.append('host_agent_status', sessionId, { agent_id: agent.id, status, current_task: agent.current_task });
    this.emit('agent.status_changed', {
      agent_id: agent.id,
      message: message ?? `agent '${agent.name}' is ${status}`,
      payload: { status, previous_status: previous, current_task: agent.current_task, payload },
    });
  }

  /** Removes the agent first, so cancelling its approvals does not restore a status nobody will see. */
  private dropAgent(agent: HostAgent, reason: UnregisterReason, sessionId: string): void {
    this.agents.remove(agent);
    for (const approval of this.approvals.pending((pending) => pending.agent_id === agent.id)) this.endApproval(approval.id, 'cancelled', sessionId);
    this.core.journal.append('host_agent_unregistered', sessionId, { agent_id: agent.id, reason });
    this.emit('agent.unregistered', {
      agent_id: agent.id,
      message: `agent '${agent.name}' unregistered (${reason === 'requested' ? 'requested' : 'its session disconnected'})`,
      payload: { agent_id: agent.id, reason },
    });
  }

  /** Teardown step 5 (docs/protocol.md#teardown): the session's agents are unregistered and the approvals it raised are cancelled. */
  private releaseSession(session: ClientSession): void {
    for (const agentId of this.agents.ownedBy(session.id)) this.dropAgent(this.agents.get(agentId), 'owner_disconnected', session.id);
    for (const approval of this.approvals.pending((pending) => pending.client_id === session.id)) this.endApproval(approval.id, 'cancelled', session.id);
  }
}
