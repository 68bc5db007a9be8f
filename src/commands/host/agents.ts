import { Flags } from '@oclif/core';
import { CarCommand } from '../../cli/base-command.js';
import { agentColumns, followHost } from '../../cli/host.js';
import { table } from '../../cli/render.js';

export default class HostAgents extends CarCommand {
  static override summary = 'List the agents registered with the host registry.';
  static override description =
    'Agents of every session (host.agents). With --follow, prints the list, then each agent event (registered, status changed, unregistered) as it happens, until Ctrl-C; with --json as well, the list is one JSON line followed by one host.event object per line.';
  static override examples = ['<%= config.bin %> host agents', '<%= config.bin %> host agents --json | jq ".[].id"', '<%= config.bin %> host agents --follow'];
  static override flags = {
    json: Flags.boolean({ description: 'print JSON instead of a table' }),
    follow: Flags.boolean({ char: 'f', description: 'keep printing agent events live until Ctrl-C' }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(HostAgents);
    const client = await this.connect(flags);
    if (flags.follow) {
      await followHost(client, {
        json: flags.json,
        shows: (event) => event.kind.startsWith('agent.'),
        head: ({ agents }) => [flags.json ? JSON.stringify(agents) : table(agents, agentColumns, 'no agents registered').trimEnd()],
      });
      return;
    }
    const agents = await client.call('host.agents', {});
    if (flags.json) this.printJson(agents);
    else process.stdout.write(table(agents, agentColumns, 'no agents registered'));
  }
}
