import { Flags } from '@oclif/core';
import { CarCommand } from '../../cli/base-command.js';
import { agentColumns, hostWatcher } from '../../cli/host.js';
import { table } from '../../cli/render.js';
import type { HostAgent } from '../../protocol/host.js';

export default class HostAgents extends CarCommand {
  static override summary = 'List the agents registered with the host registry.';
  static override description =
    'Agents of every session (host.agents). With --follow, prints the list, then each agent event (registered, status changed, unregistered) as it happens, until Ctrl-C; with --json as well, the list is one JSON line followed by one host.event object per line. After a daemon restart --follow reconnects.';
  static override examples = ['<%= config.bin %> host agents', '<%= config.bin %> host agents --json | jq ".[].id"', '<%= config.bin %> host agents --follow'];
  static override flags = {
    follow: Flags.boolean({ char: 'f', description: 'keep printing agent events live until Ctrl-C' }),
  };

  async run() {
    const { flags } = await this.parse(HostAgents);
    const list = (agents: HostAgent[]) => table(agents, agentColumns, 'no agents registered');
    if (!flags.follow) return this.show(await this.request('host.agents', {}), list);
    const json = this.jsonEnabled();
    await this.follow(
      hostWatcher({ json, shows: (event) => event.kind.startsWith('agent.'), head: ({ agents }) => (json ? JSON.stringify(agents) : list(agents)) }),
    );
  }
}
