import { Flags } from '@oclif/core';
import { CarCommand } from '../../cli/base-command.js';
import { DaemonUnreachableError } from '../../errors.js';

export default class DaemonStatus extends CarCommand {
  static override summary = 'Show whether the daemon runs, and its vital signs.';
  static override description = 'Exits 0 when the daemon answers and 3 when it does not (prints `stopped`).';
  static override examples = ['<%= config.bin %> daemon status', '<%= config.bin %> daemon status --json'];
  static override flags = {
    json: Flags.boolean({ description: 'print the daemon.status result as JSON' }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(DaemonStatus);
    let status;
    try {
      const client = await this.connect(flags);
      status = await client.call('daemon.status', {});
    } catch (error) {
      if (!(error instanceof DaemonUnreachableError)) throw error;
      if (flags.json) this.printJson({ state: 'stopped' });
      else this.log('stopped');
      process.exitCode = 3;
      return;
    }
    if (flags.json) {
      this.printJson({ state: 'running', ...status });
      return;
    }
    const admission = status.admission;
    this.log(`running  ${status.url}  (pid ${status.pid}, version ${status.version}, up ${status.uptime_s}s)`);
    this.log(`state root   ${status.state_root}`);
    this.log(`journal      ${status.journal_file}`);
    this.log(`auth         ${status.auth_enabled ? 'on' : 'off (any local program can connect with host rights)'}`);
    this.log(`sessions     ${status.sessions}`);
    if (admission) this.log(`admission    ${admission.permits_in_use}/${admission.permits_total} permits in use, ${admission.queued} queued`);
    this.log(`inference    ${status.inference.state}${status.inference.model ? ` (${status.inference.model})` : ''}`);
  }
}
