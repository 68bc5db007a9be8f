import { ApprovalVoteCommand, voteArgs, voteFlags } from '../../cli/host.js';

export default class HostDeny extends ApprovalVoteCommand {
  static override summary = 'Deny a pending approval.';
  static override description =
    'Ends the approval as denied (host.resolve_approval); a call parked on the method gate then fails with -32003. ' +
    'Uses the host token when one is available, so approvals owned by other sessions can be resolved.';
  static override examples = ['<%= config.bin %> host deny approval-1a2b3c4d5e6f', '<%= config.bin %> host deny approval-1a2b3c4d5e6f --notes "wrong endpoint"'];
  static override args = voteArgs;
  static override flags = voteFlags;
  protected readonly approved = false;
}
