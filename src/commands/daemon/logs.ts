import { Flags } from '@oclif/core';
import { LocalCommand } from '../../cli/base-command.js';
import { followFile, lastLines } from '../../cli/log-file.js';
import { stateDirs } from '../../daemon/root/state-root.js';
import { CarError } from '../../errors.js';
import { resolveStateRoot } from '../../paths.js';
import { join } from 'node:path';

export default class DaemonLogs extends LocalCommand {
  static override summary = "Print the background daemon's log.";
  static override description =
    'Reads <state root>/logs/daemon.log (a --foreground daemon logs to its terminal instead). With -f, keeps printing new lines until Ctrl-C.';
  static override examples = ['<%= config.bin %> daemon logs', '<%= config.bin %> daemon logs -n 200', '<%= config.bin %> daemon logs -f'];
  static override enableJsonFlag = false;
  static override flags = {
    lines: Flags.integer({ char: 'n', description: 'how many of the last lines to print', default: 50, min: 0 }),
    follow: Flags.boolean({ char: 'f', description: 'keep printing lines as they are written, until Ctrl-C' }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(DaemonLogs);
    const file = join(stateDirs(resolveStateRoot()).logs, 'daemon.log');
    const tail = lastLines(file, flags.lines);
    if (tail === null) throw new CarError(`no daemon log at ${file}`, 'a daemon started with `car daemon start` (not --foreground) writes it');
    process.stdout.write(tail.text);
    if (flags.follow) await followFile(file, tail.size, (chunk) => process.stdout.write(chunk), this.interrupted());
  }
}
