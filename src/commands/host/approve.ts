import { ApprovalVoteCommand, voteArgs, voteFlags } from '../../cli/host.js';

export default class HostApprove extends ApprovalVoteCommand {
  static override summary = 'Approve a pending approval.';
  static override description =
    'Counts one approve vote (host.resolve_approval). Approvals that need several votes stay pending until enough distinct sessions approve. ' +
    "Uses the host token when one is available, so approvals owned by other sessions can be resolved; system approvals of the method gate need only the client token.";
  static override examples = ['<%= config.bin %> host approve approval-1a2b3c4d5e6f', '<%= config.bin %> host approve approval-1a2b3c4d5e6f --notes "checked the path"'];
  static override args = voteArgs;
  static override flags = voteFlags;
  protected readonly approved = true;
}
