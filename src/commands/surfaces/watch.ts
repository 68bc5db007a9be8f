import { CarCommand } from '../../cli/base-command.js';
import { eventLine } from '../../cli/surfaces.js';

export default class SurfacesWatch extends CarCommand {
  static override summary = 'Print A2UI surface events as they happen, until Ctrl-C.';
  static override description =
    'Subscribes with a2ui/subscribe and prints every a2ui.event: surface updates, deletions and user actions. After a daemon restart it reconnects.';
  static override examples = ['<%= config.bin %> surfaces watch', '<%= config.bin %> surfaces watch --json | jq -c .result.surfaceId'];

  async run() {
    const json = this.jsonEnabled();
    await this.follow(async (client) => {
      client.on('a2ui.event', (event) => void process.stdout.write(`${json ? JSON.stringify(event) : eventLine(event)}\n`));
      await client.call('a2ui/subscribe', {});
      if (!json) process.stderr.write('watching A2UI surfaces; Ctrl-C to stop\n');
    });
  }
}
