import { CarCommand } from '../../cli/base-command.js';
import { ago, table } from '../../cli/render.js';

export default class SessionsList extends CarCommand {
  static override summary = "List the daemon's client sessions.";
  static override description = 'One row per WebSocket connection; your own session is marked with *.';
  static override aliases = ['sessions:list', 'sessions'];
  static override examples = ['<%= config.bin %> sessions ls', '<%= config.bin %> sessions ls --json | jq ".sessions[].id"'];

  async run() {
    const { flags } = await this.parse(SessionsList);
    return this.show(await this.request(flags, 'sessions.list', {}), ({ sessions }) =>
      table(sessions, [
        { header: 'ID', get: (s) => `${s.id}${s.is_self ? ' *' : ''}` },
        { header: 'REMOTE', get: (s) => s.remote },
        { header: 'ROLE', get: (s) => s.role ?? 'unauthenticated' },
        { header: 'CONNECTED', get: (s) => ago(s.connected_at) },
        { header: 'SUBS', get: (s) => s.subscriptions.join(',') || '-' },
        { header: 'MEMORY', get: (s) => (s.memory.namespace ? `ns:${s.memory.namespace}` : s.memory.scope) },
        { header: 'VOICE', get: (s) => String(s.voice_sessions.length) },
        { header: 'MEETINGS', get: (s) => String(s.meetings.length) },
      ]),
    );
  }
}
