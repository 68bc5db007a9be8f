import { LocalCommand } from '../../cli/base-command.js';
import { modelsDirFlag, startInBackground, stopDaemon } from '../../cli/daemon-control.js';
import { progress } from '../../cli/render.js';
import { readLock } from '../../daemon/root/lock.js';
import { resolveStateRoot } from '../../paths.js';

export default class DaemonRestart extends LocalCommand {
  static override summary = 'Stop the daemon and start it again with every setting it was started with.';
  static override description =
    'Repeats the flags and the CAR_* variables (models directory, auth, approvals, timeouts, permits) the running daemon was started with, ' +
    'whatever this shell sets; --models-dir replaces the models directory.';
  static override examples = ['<%= config.bin %> daemon restart', '<%= config.bin %> daemon restart --models-dir ~/models'];
  static override flags = {
    'models-dir': modelsDirFlag,
  };

  async run() {
    const { flags } = await this.parse(DaemonRestart);
    const previous = readLock(resolveStateRoot());
    const argv = withoutFlag(previous?.flags ?? [], '--models-dir');
    const spinner = await progress('restarting the car daemon');
    try {
      await stopDaemon(10_000);
      const modelsDir = flags['models-dir'] === undefined ? [] : ['--models-dir', flags['models-dir']];
      const { lock } = await startInBackground([...argv, ...modelsDir], spinner, { env: previous?.env });
      spinner.succeed(`car daemon restarted (pid ${lock.pid}, ${lock.url})`);
      return lock;
    } catch (error) {
      spinner.fail('restart failed');
      throw error;
    }
  }
}

/** `argv` without `name` and its value (`--name value` or `--name=value`). */
function withoutFlag(argv: string[], name: string): string[] {
  return argv.filter((arg, i) => arg !== name && !arg.startsWith(`${name}=`) && argv[i - 1] !== name);
}
