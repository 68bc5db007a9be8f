import { CarCommand } from '../../cli/base-command.js';
import { meetingReport, meetingIdArg } from '../../cli/meeting.js';

export default class MeetingShow extends CarCommand {
  static override summary = "Show a meeting: its details, summary and transcript with [mm:ss] stamps.";
  static override examples = ['<%= config.bin %> meeting show mtg-20240611-3fa2c1', '<%= config.bin %> meeting show standup --json | jq -r ".transcript[].text"'];
  static override args = {
    id: meetingIdArg,
  };

  async run() {
    const { args } = await this.parse(MeetingShow);
    return this.show(await this.request('meeting.get', { meeting_id: args.id }), meetingReport);
  }
}
