import { LocalCommand } from '../../cli/base-command.js';
import { startInBackground, stopDaemon } from '../../cli/daemon-control.js';
import { progress } from '../../cli/render.js';
import { readLock } from '../../daemon/root/lock.js';
import { resolveStateRoot } from '../../paths.js';

export default class DaemonRestart extends LocalCommand {
  static override summary = 'Stop the daemon and start it again with the flags it was started with.';
  static override examples = ['<%= config.bin %> daemon restart'];

  async run(): Promise<void> {
    await this.parse(DaemonRestart);
    const flags = readLock(resolveStateRoot())?.flags ?? [];
    const spinner = await progress('restarting the car daemon');
    try {
      await stopDaemon(10_000);
      const auth = !flags.includes('--no-auth') && process.env.CAR_NO_AUTH !== '1';
      const { lock } = await startInBackground(flags, auth, spinner);
      spinner.succeed(`car daemon restarted (pid ${lock.pid}, ${lock.url})`);
    } catch (error) {
      spinner.fail('restart failed');
      throw error;
    }
  }
}
