import { Flags } from '@oclif/core';
import { CarCommand } from '../../cli/base-command.js';
import { approvalColumns, followHost } from '../../cli/host.js';
import { table } from '../../cli/render.js';
import { APPROVAL_STATUSES, type HostApproval } from '../../protocol/host.js';

export default class HostApprovals extends CarCommand {
  static override summary = 'List approvals, newest first.';
  static override description =
    'Approvals requested by agents and by the high-risk method gate (OWNER "system"); resolve them with `car host approve|deny <id>`. With --follow, prints the list, then each approval event as it happens, until Ctrl-C.';
  static override examples = [
    '<%= config.bin %> host approvals',
    '<%= config.bin %> host approvals --status pending',
    '<%= config.bin %> host approvals --follow',
    '<%= config.bin %> host approvals --json | jq -r ".approvals[0].id"',
  ];
  static override flags = {
    status: Flags.string({ description: 'only approvals with this status', options: [...APPROVAL_STATUSES] }),
    json: Flags.boolean({ description: 'print JSON instead of a table' }),
    follow: Flags.boolean({ char: 'f', description: 'keep printing approval events live until Ctrl-C' }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(HostApprovals);
    const status = flags.status as (typeof APPROVAL_STATUSES)[number] | undefined;
    const client = await this.connect(flags);
    if (flags.follow) {
      await followHost(client, {
        json: flags.json,
        shows: (event) =>
          event.kind.startsWith('approval.') && (status === undefined || (event.payload as { approval?: HostApproval } | null)?.approval?.status === status),
        head: (snapshot) => {
          const approvals = snapshot.approvals.filter((approval) => status === undefined || approval.status === status);
          return [flags.json ? JSON.stringify({ approvals }) : table(approvals, approvalColumns, noApprovals(status)).trimEnd()];
        },
      });
      return;
    }
    const result = await client.call('host.approvals', status === undefined ? {} : { status });
    if (flags.json) this.printJson(result);
    else process.stdout.write(table(result.approvals, approvalColumns, noApprovals(status)));
  }
}

const noApprovals = (status: string | undefined) => (status === undefined ? 'no approvals' : `no ${status} approvals`);
