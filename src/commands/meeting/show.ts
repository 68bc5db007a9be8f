import { CarCommand } from '../../cli/base-command.js';
import { meetingReport, meetingIdArg } from '../../cli/meeting.js';
import { offlineMeetings } from '../../cli/offline-meetings.js';

export default class MeetingShow extends CarCommand {
  static override summary = "Show a meeting: its details, summary and transcript with [mm:ss] stamps.";
  static override description = 'With no daemon running, reads <state root>/meetings directly.';
  static override examples = ['<%= config.bin %> meeting show mtg-20240611-3fa2c1', '<%= config.bin %> meeting show standup --json | jq -r ".transcript[].text"'];
  static override args = {
    id: meetingIdArg,
  };

  async run() {
    const { args } = await this.parse(MeetingShow);
    const record = await this.orOffline(() => this.request('meeting.get', { meeting_id: args.id }), () => offlineMeetings.get(args.id));
    return this.show(record, meetingReport);
  }
}
