import { CarCommand } from '../cli/base-command.js';
import { DaemonUnreachableError } from '../errors.js';
import { VERSION } from '../version.js';

export default class Version extends CarCommand {
  static override summary = "Print car's version, and the running daemon's when one answers.";
  static override description =
    'The same as `car --version`, plus the daemon: a daemon from another version is worth knowing about (restart it with `car daemon restart`).';
  static override examples = ['<%= config.bin %> version', '<%= config.bin %> version --json'];

  async run() {
    const daemon = await this.request('daemon.status', {}, { connectTimeoutMs: 1000 }).then(
      ({ version, url }) => ({ version, url }),
      (error: unknown) => {
        if (error instanceof DaemonUnreachableError) return null;
        throw error;
      },
    );
    const versions = { version: VERSION, node: process.version, platform: `${process.platform}-${process.arch}`, daemon };
    return this.show(versions, () =>
      [
        `car ${VERSION} (${versions.platform}, node ${process.version})`,
        daemon
          ? `daemon ${daemon.version} at ${daemon.url}${daemon.version === VERSION ? '' : ' (another version: `car daemon restart` runs this one)'}`
          : 'daemon not running',
      ].join('\n'),
    );
  }
}
