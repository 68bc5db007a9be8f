import { CarCommand } from '../../cli/base-command.js';
import { ago, table } from '../../cli/render.js';
import type { SessionField } from '../../protocol/core.js';

export default class SessionsList extends CarCommand {
  static override summary = "List the daemon's client sessions.";
  static override description = 'One row per WebSocket connection; your own session is marked with *.';
  static override aliases = ['sessions:list', 'sessions'];
  static override examples = ['<%= config.bin %> sessions ls', '<%= config.bin %> sessions ls --json | jq ".sessions[].id"'];

  async run() {
    // The table needs neither whole rows nor thousands of them: a trimmed first page stays small however many sessions there are.
    const result = await this.request('sessions.list', this.jsonEnabled() ? {} : { fields: TABLE_FIELDS, limit: TABLE_ROWS });
    return this.show(
      result,
      ({ sessions, count }) =>
        table(sessions, [
          { header: 'ID', get: (s) => `${s.id}${s.is_self ? ' *' : ''}` },
          { header: 'REMOTE', get: (s) => s.remote },
          { header: 'ROLE', get: (s) => s.role ?? 'unauthenticated' },
          { header: 'CONNECTED', get: (s) => ago(s.connected_at) },
          { header: 'SUBS', get: (s) => s.subscriptions.join(',') || '-' },
          { header: 'MEMORY', get: (s) => (s.memory.namespace ? `ns:${s.memory.namespace}` : s.memory.scope) },
          { header: 'VOICE', get: (s) => String(s.voice_sessions.length) },
          { header: 'MEETINGS', get: (s) => String(s.meetings.length) },
        ]) + (count > sessions.length ? `… ${count - sessions.length} more of ${count} sessions; --json lists them all` : ''),
    );
  }
}

const TABLE_ROWS = 100;
const TABLE_FIELDS: SessionField[] = ['is_self', 'remote', 'role', 'connected_at', 'subscriptions', 'memory', 'voice_sessions', 'meetings'];
