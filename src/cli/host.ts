import { Flags } from '@oclif/core';
import { stringArg } from './args.js';
import type { CarClient, ConnectOptions } from '../client/node.js';
import { discoverToken } from '../client/tokens.js';
import type { HostAgent, HostApproval, HostEvent, HostSubscribeResult } from '../protocol/host.js';
import { CarCommand } from './base-command.js';
import { ago, clip, type Column } from './render.js';

/** Rendering and the live-follow loop of the `car host` commands. */

export const agentColumns: Column<HostAgent>[] = [
  { header: 'ID', get: (a) => a.id },
  { header: 'NAME', get: (a) => a.name },
  { header: 'KIND', get: (a) => a.kind },
  { header: 'STATUS', get: (a) => a.status },
  { header: 'TASK', get: (a) => clip(a.current_task ?? '-') },
  { header: 'SESSION', get: (a) => a.session_id },
  { header: 'UPDATED', get: (a) => ago(a.updated_at) },
];

export const approvalColumns: Column<HostApproval>[] = [
  { header: 'ID', get: (a) => a.id },
  { header: 'STATUS', get: (a) => a.status },
  { header: 'ACTION', get: (a) => clip(a.action) },
  { header: 'AGENT', get: (a) => a.agent_id ?? '-' },
  { header: 'OWNER', get: (a) => a.client_id ?? 'system' },
  { header: 'VOTES', get: (a) => `${a.approvals}/${a.required_approvals}` },
  { header: 'CREATED', get: (a) => ago(a.created_at) },
];

export const eventColumns: Column<HostEvent>[] = [
  { header: 'SEQ', get: (e) => String(e.sequence) },
  { header: 'TIME', get: (e) => e.timestamp.slice(11, 19) },
  { header: 'KIND', get: (e) => e.kind },
  { header: 'AGENT', get: (e) => e.agent_id ?? '-' },
  { header: 'MESSAGE', get: (e) => clip(e.message ?? '', 80) },
];

/** One human line per `host.event`, aligned like the events table. */
export function eventLine(event: HostEvent): string {
  return `${String(event.sequence).padStart(5)}  ${event.timestamp.slice(11, 19)}  ${event.kind.padEnd(21)}  ${(event.agent_id ?? '-').padEnd(18)}  ${event.message ?? ''}`;
}

/** What `car host approve|deny` printed for a vote. */
export function voteLine(approval: HostApproval): string {
  if (approval.status === 'pending') {
    const missing = approval.required_approvals - approval.approvals;
    return `approval ${approval.id} has ${approval.approvals} of ${approval.required_approvals} approvals; waiting for ${missing} more from other sessions`;
  }
  return `${approval.status} ${approval.id} (${approval.action})`;
}

/** Resolving another session's approval needs the host role, so use the host token when this user has one. */
export function resolverConnectOptions(): Omit<ConnectOptions, 'url'> {
  return discoverToken('host') === null ? {} : { asHost: true };
}

export interface FollowOptions {
  json: boolean;
  /** Which live events are printed; all when absent. */
  shows?(event: HostEvent): boolean;
  /** What is printed first, from the subscription snapshot. */
  head(snapshot: HostSubscribeResult): string;
}

/**
 * One connection's share of `--follow`: subscribes, prints the snapshot's head, then every
 * newer event exactly once, in sequence order, one line each (human, or one JSON object per
 * line with `json`). Events pushed before the snapshot arrived are de-duplicated by
 * `event_sequence`; a new connection (after a daemon restart) starts from its own snapshot.
 */
export function hostWatcher(options: FollowOptions): (client: CarClient) => Promise<void> {
  return async (client) => {
    let lastSequence: number | null = null;
    const early: HostEvent[] = [];
    const deliver = (event: HostEvent) => {
      if (event.sequence <= lastSequence!) return;
      lastSequence = event.sequence;
      if (options.shows?.(event) ?? true) process.stdout.write(`${options.json ? JSON.stringify(event) : eventLine(event)}\n`);
    };
    client.on('host.event', (event) => (lastSequence === null ? early.push(event) : deliver(event)));
    const snapshot = await client.call('host.subscribe', {});
    process.stdout.write(`${options.head(snapshot).trimEnd()}\n`);
    if (!options.json) process.stderr.write(`following host events; Ctrl-C to stop\n`);
    lastSequence = snapshot.event_sequence;
    for (const event of early) deliver(event);
  };
}

export const voteArgs = {
  id: stringArg({ description: 'approval id (see `car host approvals`)', required: true }),
};
export const voteFlags = {
  notes: Flags.string({ description: 'a note recorded with the decision' }),
};

/**
 * `car host approve` and `car host deny`: one vote on an approval (host.resolve_approval),
 * with the host token when this user has one, so approvals owned by other sessions can be
 * resolved. `what` says what the vote does.
 */
export function voteCommand(approved: boolean, what: string): typeof CarCommand {
  const verb = approved ? 'approve' : 'deny';
  return class HostVote extends CarCommand {
    static override summary = `${approved ? 'Approve' : 'Deny'} a pending approval.`;
    static override description = `${what} Uses the host token when one is available, so approvals owned by other sessions can be resolved.`;
    static override examples = [
      `<%= config.bin %> host ${verb} approval-1a2b3c4d5e6f`,
      `<%= config.bin %> host ${verb} approval-1a2b3c4d5e6f --notes "checked the path"`,
    ];
    static override args = voteArgs;
    static override flags = voteFlags;

    async run() {
      const { args, flags } = await this.parse(HostVote);
      const params = { approval_id: args.id, approved, ...(flags.notes === undefined ? {} : { notes: flags.notes }) };
      return this.show(await this.request('host.resolve_approval', params, resolverConnectOptions()), voteLine);
    }
  };
}
