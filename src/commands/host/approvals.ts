import { Flags } from '@oclif/core';
import { CarCommand } from '../../cli/base-command.js';
import { approvalColumns, hostWatcher } from '../../cli/host.js';
import { table } from '../../cli/render.js';
import { APPROVAL_STATUSES, type HostApproval } from '../../protocol/host.js';

export default class HostApprovals extends CarCommand {
  static override summary = 'List approvals, newest first.';
  static override description =
    'Approvals requested by agents and by the high-risk method gate (OWNER "system"); resolve them with `car host approve|deny <id>`. With --follow, prints the list, then each approval event as it happens, until Ctrl-C; after a daemon restart it reconnects.';
  static override examples = [
    '<%= config.bin %> host approvals',
    '<%= config.bin %> host approvals --status pending',
    '<%= config.bin %> host approvals --follow',
    '<%= config.bin %> host approvals --json | jq -r ".approvals[0].id"',
  ];
  static override flags = {
    status: Flags.string({ description: 'only approvals with this status', options: [...APPROVAL_STATUSES] }),
    follow: Flags.boolean({ char: 'f', description: 'keep printing approval events live until Ctrl-C' }),
  };

  async run() {
    const { flags } = await this.parse(HostApprovals);
    const status = flags.status as (typeof APPROVAL_STATUSES)[number] | undefined;
    const list = (approvals: HostApproval[]) => table(approvals, approvalColumns, status === undefined ? 'no approvals' : `no ${status} approvals`);
    if (!flags.follow) return this.show(await this.request('host.approvals', status === undefined ? {} : { status }), ({ approvals }) => list(approvals));
    const json = this.jsonEnabled();
    const wanted = (approval: HostApproval | undefined) => status === undefined || approval?.status === status;
    await this.follow(
      hostWatcher({
        json,
        shows: (event) => event.kind.startsWith('approval.') && wanted((event.payload as { approval?: HostApproval } | null)?.approval),
        head: (snapshot) => {
          const approvals = snapshot.approvals.filter(wanted);
          return json ? JSON.stringify({ approvals }) : list(approvals);
        },
      }),
    );
  }
}
