import { CarCommand } from '../../cli/base-command.js';
import { meetingTable } from '../../cli/meeting.js';

export default class MeetingList extends CarCommand {
  static override summary = 'List recorded and recording meetings, newest first.';
  static override aliases = ['meeting:list'];
  static override examples = ['<%= config.bin %> meeting ls', '<%= config.bin %> meeting ls --json | jq -r ".meetings[] | select(.status == \\"recording\\") | .id"'];

  async run() {
    return this.show(await this.request('meeting.list', {}), ({ meetings }) =>
      meetings.length === 0 ? 'no meetings yet; record one with `car meeting start`' : meetingTable(meetings),
    );
  }
}
