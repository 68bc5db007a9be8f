import { Flags } from '@oclif/core';
import { CarCommand } from '../../cli/base-command.js';
import { followMeeting, meetingReport, meetingIdArg } from '../../cli/meeting.js';
import { offlineMeetings } from '../../cli/offline-meetings.js';

export default class MeetingShow extends CarCommand {
  static override summary = 'Show a meeting: its details, summary and transcript with [mm:ss] stamps and who spoke.';
  static override description =
    'With no daemon running, reads <state root>/meetings directly. ' +
    'With --follow a recording meeting’s transcript is shown as it grows, from any terminal, until the meeting stops (its outcome is printed then) or Ctrl-C; ' +
    'with --json each new line is printed as a JSON object, then the record without its transcript.';
  static override examples = [
    '<%= config.bin %> meeting show mtg-20240611-3fa2c1',
    '<%= config.bin %> meeting show mtg-20240611-3fa2c1 --follow',
    '<%= config.bin %> meeting show standup --json | jq -r ".transcript[].text"',
  ];
  static override args = {
    id: meetingIdArg,
  };
  static override flags = {
    follow: Flags.boolean({ char: 'f', description: 'keep showing new transcript lines until the meeting stops (Ctrl-C to leave it recording)' }),
  };

  async run() {
    const { args, flags } = await this.parse(MeetingShow);
    if (!flags.follow) {
      const record = await this.orOffline(
        () => this.request('meeting.get', { meeting_id: args.id }),
        () => offlineMeetings.get(args.id),
      );
      return this.show(record, meetingReport);
    }
    // Following needs the daemon that records the meeting: no offline read.
    await followMeeting(await this.connect(), args.id, this.interrupted(), this.jsonEnabled());
  }
}
