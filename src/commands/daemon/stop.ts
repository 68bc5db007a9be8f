import { Flags } from '@oclif/core';
import { LocalCommand } from '../../cli/base-command.js';
import { stopDaemon } from '../../cli/daemon-control.js';
import { progress } from '../../cli/render.js';

export default class DaemonStop extends LocalCommand {
  static override summary = 'Stop the car daemon of this state root.';
  static override description =
    'Asks the daemon to shut down gracefully (daemon.shutdown with the host token), then sends SIGTERM, ' +
    'then SIGKILL once --timeout has passed. Not running is not an error.';
  static override examples = ['<%= config.bin %> daemon stop', '<%= config.bin %> daemon stop --timeout 30'];
  static override flags = {
    timeout: Flags.integer({ description: 'seconds to wait for a graceful stop before forcing it', default: 10, min: 1 }),
  };

  async run() {
    const { flags } = await this.parse(DaemonStop);
    const spinner = await progress('stopping the car daemon');
    const outcome = await stopDaemon(flags.timeout * 1000).finally(() => spinner.stop());
    return this.show(outcome, ({ stopped, forced }) => {
      if (!stopped) return 'not running';
      return forced ? `killed (pid ${stopped.pid}) after ${flags.timeout}s without a graceful stop` : `stopped (pid ${stopped.pid})`;
    });
  }
}
