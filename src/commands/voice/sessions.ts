import { CarCommand } from '../../cli/base-command.js';
import { ago, table } from '../../cli/render.js';

export default class VoiceSessions extends CarCommand {
  static override summary = "List the daemon's live voice sessions.";
  static override description = 'One row per live transcription, from any connection; yours are marked with *.';
  static override examples = ['<%= config.bin %> voice sessions', '<%= config.bin %> voice sessions --json | jq ".[].session_id"'];

  async run() {
    const empty = 'no live voice sessions (start one with `car voice transcribe`)';
    return this.show(await this.request('voice.sessions.list', {}), (sessions) =>
      table(
        sessions,
        [
          { header: 'ID', get: (s) => `${s.session_id}${s.is_mine ? ' *' : ''}` },
          { header: 'STATUS', get: (s) => s.status },
          { header: 'PROVIDER', get: (s) => s.provider },
          { header: 'FORMAT', get: (s) => `${s.sample_rate / 1000} kHz ${s.channels === 2 ? 'stereo' : 'mono'}` },
          { header: 'AUDIO', get: (s) => `${(s.bytes_received / (2 * s.channels * s.sample_rate)).toFixed(1)} s` },
          { header: 'STARTED', get: (s) => ago(s.started_at) },
          { header: 'OWNER', get: (s) => s.owner_session },
          { header: 'MEETING', get: (s) => s.meeting_id ?? '-' },
        ],
        empty,
      ),
    );
  }
}
