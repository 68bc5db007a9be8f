import { CarCommand } from '../../cli/base-command.js';
import { meetingTable } from '../../cli/meeting.js';
import { offlineMeetings } from '../../cli/offline-meetings.js';

export default class MeetingList extends CarCommand {
  static override summary = 'List recorded and recording meetings, newest first.';
  static override description = 'With no daemon running, reads <state root>/meetings directly.';
  static override aliases = ['meeting:list'];
  static override examples = [
    '<%= config.bin %> meeting ls',
    '<%= config.bin %> meeting ls --json | jq -r ".meetings[] | select(.status == \\"recording\\") | .id"',
  ];

  async run() {
    const listed = await this.orOffline(
      () => this.request('meeting.list', {}),
      () => offlineMeetings.list(),
    );
    return this.show(listed, ({ meetings }) => (meetings.length === 0 ? 'no meetings yet; record one with `car meeting start`' : meetingTable(meetings)));
  }
}
