import { conflict, forbidden, notFound } from '../../protocol/errors.js';
import type { ApprovalStatus, HostApproval } from '../../protocol/host.js';
import { randomHex } from '../ids.js';

/** Resolved approvals kept for listings; pending ones are never dropped. */
const MAX_RESOLVED_APPROVALS = 500;

export type NewApproval = Pick<HostApproval, 'agent_id' | 'action' | 'description' | 'details' | 'required_approvals' | 'client_id'>;
/** What a system approval shows; `journaled_details` replaces `details` in the journal when they hold what must not be kept (a tool call's parameters). */
export interface SystemApprovalFields extends Pick<NewApproval, 'action' | 'description' | 'details'> {
  journaled_details?: Record<string, unknown>;
}
export type FinalStatus = Exclude<ApprovalStatus, 'pending'>;
type SettledListener = (approval: HostApproval) => void;

interface ApprovalRecord {
  approval: HostApproval;
  /** Sessions whose approve vote counted (once per distinct session: docs/protocol.md#ownership). */
  voters: Set<string>;
  listeners: SettledListener[];
}

export interface Voter {
  sessionId: string;
  /** Host role (or auth off): may resolve approvals owned by other sessions. */
  hostRights: boolean;
}

/** The approvals (docs/protocol.md#type-hostapproval) and who may resolve them (docs/protocol.md#ownership). */
export class ApprovalTable {
  private readonly records = new Map<string, ApprovalRecord>();
  private readonly resolvedOrder: string[] = [];

  create(fields: NewApproval): HostApproval {
    const approval: HostApproval = {
      id: `approval-${randomHex(6)}`,
      agent_id: fields.agent_id,
      action: fields.action,
      description: fields.description,
      details: fields.details,
      options: ['approve', 'deny'],
      status: 'pending',
      required_approvals: fields.required_approvals,
      approvals: 0,
      client_id: fields.client_id,
      created_at: new Date().toISOString(),
      resolved_at: null,
      resolution: null,
    };
    this.records.set(approval.id, { approval, voters: new Set(), listeners: [] });
    return approval;
  }

  /** Newest first. */
  list(status?: ApprovalStatus): HostApproval[] {
    const approvals: HostApproval[] = [];
    for (const { approval } of this.records.values()) if (status === undefined || approval.status === status) approvals.push(approval);
    return approvals.reverse();
  }

  pending(filter: (approval: HostApproval) => boolean): HostApproval[] {
    return this.list('pending').filter(filter);
  }

  /**
   * One approve or deny. Any deny ends the approval; approves count once per session until
   * `required_approvals` is reached. Returns whether this vote settled it.
   */
  vote(approvalId: string, voter: Voter, approved: boolean, notes: string | null): { approval: HostApproval; settled: boolean } {
    const record = this.records.get(approvalId);
    if (!record) throw notFound(`unknown approval '${approvalId}'; list approvals with host.approvals`, { field: 'approval_id' });
    const { approval } = record;
    if (approval.client_id !== null && approval.client_id !== voter.sessionId && !voter.hostRights) {
      throw forbidden(`approval '${approvalId}' belongs to another session; only that session or a host-role session (host_token) may resolve it`, {
        field: 'approval_id',
      });
    }
    if (approval.status !== 'pending')
      throw conflict(`approval '${approvalId}' is already ${approval.status}; only pending approvals can be resolved`, { field: 'approval_id' });
    if (approved) {
      if (record.voters.has(voter.sessionId)) {
        const missing = approval.required_approvals - approval.approvals;
        throw conflict(`this session already approved approval '${approvalId}'; it needs ${missing} more approval(s) from other sessions`, {
          field: 'approval_id',
        });
      }
      record.voters.add(voter.sessionId);
      approval.approvals++;
      if (approval.approvals < approval.required_approvals) return { approval, settled: false };
    }
    this.settle(approval, approved ? 'approved' : 'denied', { approved, notes, by_session: voter.sessionId });
    return { approval, settled: true };
  }

  /** Ends a pending approval without a vote (expiry, cancellation); false if it was already final or is gone. */
  settleWithoutVote(approvalId: string, status: 'expired' | 'cancelled'): HostApproval | null {
    const approval = this.records.get(approvalId)?.approval;
    if (!approval || approval.status !== 'pending') return null;
    this.settle(approval, status, null);
    return approval;
  }

  /** Calls `listener` once the approval is final. */
  whenSettled(approvalId: string, listener: SettledListener): void {
    this.records.get(approvalId)!.listeners.push(listener);
  }

  private settle(approval: HostApproval, status: FinalStatus, resolution: HostApproval['resolution']): void {
    approval.status = status;
    approval.resolved_at = new Date().toISOString();
    approval.resolution = resolution;
    const record = this.records.get(approval.id)!;
    for (const listener of record.listeners.splice(0)) listener(approval);
    this.resolvedOrder.push(approval.id);
    if (this.resolvedOrder.length > MAX_RESOLVED_APPROVALS) this.records.delete(this.resolvedOrder.shift()!);
  }
}
