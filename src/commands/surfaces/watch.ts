import { Flags } from '@oclif/core';
import { CarCommand } from '../../cli/base-command.js';
import { eventLine } from '../../cli/surfaces.js';
import { CarError } from '../../errors.js';

export default class SurfacesWatch extends CarCommand {
  static override summary = 'Print A2UI surface events as they happen, until Ctrl-C.';
  static override description = 'Subscribes with a2ui/subscribe and prints every a2ui.event: surface updates, deletions and user actions.';
  static override examples = ['<%= config.bin %> surfaces watch', '<%= config.bin %> surfaces watch --json | jq -c .result.surfaceId'];
  static override flags = {
    json: Flags.boolean({ description: 'print each a2ui.event as one line of JSON' }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(SurfacesWatch);
    const client = await this.connect(flags);
    client.on('a2ui.event', (event) => {
      process.stdout.write(flags.json ? `${JSON.stringify(event)}\n` : `${eventLine(event)}\n`);
    });
    const stopped = new Promise<'interrupted' | 'closed'>((resolve) => {
      process.once('SIGINT', () => resolve('interrupted'));
      process.once('SIGTERM', () => resolve('interrupted'));
      client.onClose(() => resolve('closed'));
    });
    await client.call('a2ui/subscribe', {});
    if (!flags.json) process.stderr.write('watching A2UI surfaces; Ctrl-C to stop\n');
    if ((await stopped) === 'closed') throw new CarError('the daemon closed the connection', 'check `car daemon status`, then watch again');
  }
}
