import type { z } from 'zod';
import { forbidden, notFound } from '../../protocol/errors.js';
import type { AgentStatus, HostAgent, registerAgentParams } from '../../protocol/host.js';
import type { ClientSession } from '../sessions/client-session.js';
import { randomHex } from '../ids.js';

export type AgentRegistration = z.output<typeof registerAgentParams>;

/** The agents (docs/protocol.md#type-hostagent) with an index by owning session, for teardown and `sessions.list`. */
export class AgentTable {
  private readonly agents = new Map<string, HostAgent>();
  private readonly bySession = new Map<string, Set<string>>();
  /** The status an agent had before an approval flipped it to `waiting_for_approval` (docs/protocol.md#host-request_approval). */
  private readonly statusBeforeApproval = new Map<string, AgentStatus>();

  list(): HostAgent[] {
    return [...this.agents.values()];
  }

  ownedBy(sessionId: string): string[] {
    return [...(this.bySession.get(sessionId) ?? [])];
  }

  find(agentId: string): HostAgent | undefined {
    return this.agents.get(agentId);
  }

  /** An agent anyone may read; unknown ids are `-32010`. */
  get(agentId: string): HostAgent {
    const agent = this.agents.get(agentId);
    if (!agent) throw notFound(`unknown agent '${agentId}'; list agents with host.agents`, { field: 'agent_id' });
    return agent;
  }

  /** An agent only its owner may change (docs/protocol.md#ownership). */
  owned(agentId: string, session: ClientSession, what: string): HostAgent {
    const agent = this.get(agentId);
    if (agent.session_id !== session.id) throw forbidden(`agent '${agentId}' is owned by another session; ${what}`, { field: 'agent_id' });
    return agent;
  }

  /** Registers a new agent or updates the caller's own one in place; fields left out keep their value. */
  register(params: AgentRegistration, session: ClientSession): { agent: HostAgent; updated: boolean } {
    const now = new Date().toISOString();
    const existing = params.id === undefined ? undefined : this.agents.get(params.id);
    if (existing) {
      if (existing.session_id !== session.id) {
        throw forbidden(`agent '${existing.id}' is owned by another session; pick another id, or omit id to get a generated one`, { field: 'id' });
      }
      const { id: _id, ...changes } = params;
      for (const [key, value] of Object.entries(changes)) if (value !== undefined) Object.assign(existing, { [key]: value });
      existing.updated_at = now;
      return { agent: existing, updated: true };
    }
    const agent: HostAgent = {
      id: params.id ?? `agent-${randomHex(6)}`,
      name: params.name,
      kind: params.kind,
      capabilities: params.capabilities ?? [],
      project: params.project ?? null,
      status: 'idle',
      current_task: null,
      pid: params.pid ?? null,
      display: params.display ?? null,
      metadata: params.metadata ?? {},
      session_id: session.id,
      registered_at: now,
      updated_at: now,
    };
    this.agents.set(agent.id, agent);
    let owned = this.bySession.get(session.id);
    if (!owned) this.bySession.set(session.id, (owned = new Set()));
    owned.add(agent.id);
    return { agent, updated: false };
  }

  remove(agent: HostAgent): void {
    this.agents.delete(agent.id);
    this.statusBeforeApproval.delete(agent.id);
    const owned = this.bySession.get(agent.session_id);
    owned?.delete(agent.id);
    if (owned?.size === 0) this.bySession.delete(agent.session_id);
  }

  /** Sets a status; returns the previous one. */
  setStatus(agent: HostAgent, status: AgentStatus, currentTask: string | null | undefined): AgentStatus {
    const previous = agent.status;
    agent.status = status;
    if (currentTask !== undefined) agent.current_task = currentTask;
    agent.updated_at = new Date().toISOString();
    return previous;
  }

  /** The owner set a status itself, so a pending approval no longer restores the old one. */
  forgetStatusBeforeApproval(agent: HostAgent): void {
    this.statusBeforeApproval.delete(agent.id);
  }

  /** Remembers the status to restore once the agent's approvals are settled; false if it was already waiting. */
  markWaiting(agent: HostAgent): boolean {
    if (agent.status === 'waiting_for_approval') return false;
    this.statusBeforeApproval.set(agent.id, agent.status);
    return true;
  }

  /** The status to go back to, if the agent is still waiting because of an approval. */
  takeStatusBeforeApproval(agent: HostAgent): AgentStatus | undefined {
    const previous = this.statusBeforeApproval.get(agent.id);
    this.statusBeforeApproval.delete(agent.id);
    return agent.status === 'waiting_for_approval' ? previous : undefined;
  }
}
