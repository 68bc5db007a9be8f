import { join } from 'node:path';
import { CarCommand } from '../../cli/base-command.js';
import { DaemonUnreachableError } from '../../errors.js';
import type { ConnectionStatus, WriteStatus } from '../../protocol/core.js';

export default class DaemonStatus extends CarCommand {
  static override summary = 'Show whether the daemon runs, and its vital signs.';
  static override description = 'Exits 0 when the daemon answers and 3 when it does not (prints `stopped`).';
  static override examples = ['<%= config.bin %> daemon status', '<%= config.bin %> daemon status --json'];

  async run() {
    const status = await this.request('daemon.status', {}).catch((error: unknown) => {
      if (!(error instanceof DaemonUnreachableError)) throw error;
      process.exitCode = 3;
      return null;
    });
    if (!status) return this.show({ state: 'stopped' as const }, () => 'stopped');
    const logFile = status.state_root === null ? null : join(status.state_root, 'logs', 'daemon.log');
    return this.show({ state: 'running' as const, log_file: logFile, ...status }, ({ admission, inference }) =>
      [
        `running  ${status.url}  (pid ${status.pid}, version ${status.version}, up ${status.uptime_s}s)`,
        `state root   ${status.state_root}`,
        `journal      ${status.journal_file}`,
        ...(logFile ? [`log          ${logFile} (a background daemon's; see \`car daemon logs\`)`] : []),
        `auth         ${status.auth_enabled ? 'on' : 'off (any local program can connect with host rights)'}`,
        `sessions     ${status.sessions}`,
        ...(status.connections ? [`connections  ${connectionsLine(status.connections)}`] : []),
        `journal I/O  ${writesLine(status.journal_writes, 'events')}`,
        ...(status.log_writes ? [`log I/O      ${writesLine(status.log_writes, 'lines')}`] : []),
        ...(admission ? [`admission    ${admission.permits_in_use}/${admission.permits_total} permits in use, ${admission.queued} queued`] : []),
        `inference    ${inference.state}${inference.model ? ` (${inference.model})` : ''}`,
      ].join('\n'),
    );
  }
}

/** `ok`, or what failed and what waits, e.g. `FAILING: ENOSPC: … (12 failed writes, 40 events waiting, 0 dropped); retried every second`. */
function writesLine(writes: WriteStatus, unit: string): string {
  if (writes.failures === 0 && writes.dropped === 0) return 'ok';
  const counts = `${writes.failures} failed writes, ${writes.pending} ${unit} waiting, ${writes.dropped} dropped`;
  return writes.failing
    ? `FAILING: ${writes.last_error} (${counts}); retried every second`
    : `ok now (${counts}; last: ${writes.last_error} at ${writes.last_failure_at})`;
}

/** `5 open (1 not signed in; caps 64 / 4096), 120 closed to admit newer ones, 0 refused`. */
function connectionsLine(connections: ConnectionStatus): string {
  const { open, pre_auth, max_pre_auth, max_connections, evicted_total, refused_total } = connections;
  return `${open} open (${pre_auth} not signed in; caps ${max_pre_auth} / ${max_connections}), ${evicted_total} closed to admit newer ones, ${refused_total} refused`;
}
