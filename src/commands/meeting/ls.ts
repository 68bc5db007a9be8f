import { Flags } from '@oclif/core';
import { CarCommand } from '../../cli/base-command.js';
import { meetingTable } from '../../cli/meeting.js';

export default class MeetingList extends CarCommand {
  static override summary = 'List recorded and recording meetings, newest first.';
  static override aliases = ['meeting:list'];
  static override examples = ['<%= config.bin %> meeting ls', '<%= config.bin %> meeting ls --json | jq -r ".meetings[] | select(.status == \\"recording\\") | .id"'];
  static override flags = {
    json: Flags.boolean({ description: 'print the meeting.list result as JSON' }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(MeetingList);
    const client = await this.connect(flags);
    const result = await client.call('meeting.list', {});
    if (flags.json) this.printJson(result);
    else if (result.meetings.length === 0) this.log('no meetings yet; record one with `car meeting start`');
    else process.stdout.write(meetingTable(result.meetings));
  }
}
