import { CarCommand } from '../../cli/base-command.js';
import { meetingIdArg } from '../../cli/meeting.js';

export default class MeetingRemove extends CarCommand {
  static override summary = 'Delete a meeting: its transcript, summaries and audio, and the memory facts its transcript fed.';
  static override description =
    'Refused while the meeting is recording (stop it first); waits for a summary being written. Only a directory with a valid meeting.json is deleted. Signs in with the host token.';
  static override aliases = ['meeting:delete'];
  static override examples = ['<%= config.bin %> meeting rm mtg-20240611-3fa2c1'];
  static override args = {
    id: meetingIdArg,
  };

  async run() {
    const { args } = await this.parse(MeetingRemove);
    const result = await this.request('meeting.delete', { id: args.id }, { asHost: true });
    return this.show(
      result,
      ({ id, facts_deleted }) => `deleted meeting ${id} and ${facts_deleted} memory ${facts_deleted === 1 ? 'fact' : 'facts'} from its transcript`,
    );
  }
}
