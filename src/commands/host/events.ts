import { Flags } from '@oclif/core';
import { CarCommand } from '../../cli/base-command.js';
import { eventColumns, eventLine, hostWatcher } from '../../cli/host.js';
import { table } from '../../cli/render.js';
import { MAX_HOST_EVENTS, SNAPSHOT_EVENTS } from '../../protocol/host.js';

export default class HostEvents extends CarCommand {
  static override summary = 'Show recent host events, oldest first.';
  static override description = `The daemon keeps the last ${MAX_HOST_EVENTS} events (agents, approvals, notifications, A2UI surfaces). With --follow, prints recent events and then each new one as it happens, one line each (one JSON object per line with --json), until Ctrl-C; after a daemon restart it reconnects.`;
  static override examples = [
    '<%= config.bin %> host events',
    '<%= config.bin %> host events --limit 20 --json',
    '<%= config.bin %> host events --follow',
    '<%= config.bin %> host events -f --json | jq -c "select(.kind == \\"approval.requested\\")"',
  ];
  static override flags = {
    limit: Flags.integer({
      description: `how many recent events to show (with --follow at most ${SNAPSHOT_EVENTS})`,
      default: SNAPSHOT_EVENTS,
      min: 1,
      max: MAX_HOST_EVENTS,
    }),
    follow: Flags.boolean({ char: 'f', description: 'keep printing new events live until Ctrl-C' }),
  };

  async run() {
    const { flags } = await this.parse(HostEvents);
    if (!flags.follow)
      return this.show(await this.request('host.events', { limit: flags.limit }), ({ events }) => table(events, eventColumns, 'no host events yet'));
    const json = this.jsonEnabled();
    await this.follow(
      hostWatcher({
        json,
        head: ({ events }) =>
          events
            .slice(-flags.limit)
            .map((event) => (json ? JSON.stringify(event) : eventLine(event)))
            .join('\n'),
      }),
    );
  }
}
