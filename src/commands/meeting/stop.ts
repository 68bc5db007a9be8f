import { Flags } from '@oclif/core';
import { CarCommand } from '../../cli/base-command.js';
import { meetingOutcome, meetingIdArg } from '../../cli/meeting.js';
import { progress } from '../../cli/render.js';

export default class MeetingStop extends CarCommand {
  static override summary = 'Stop a recording meeting and summarise it.';
  static override description =
    'Another connection (usually a `car meeting start` in another terminal) owns the meeting, so this command authenticates with the host token.';
  static override examples = ['<%= config.bin %> meeting stop mtg-20240611-3fa2c1', '<%= config.bin %> meeting stop standup --no-summary --json'];
  static override args = {
    id: meetingIdArg,
  };
  static override flags = {
    summary: Flags.boolean({ description: 'summarise the transcript [default: what `car meeting start` was given, else yes]', allowNo: true }),
  };

  async run() {
    const { args, flags } = await this.parse(MeetingStop);
    const spinner = this.jsonEnabled() ? null : await progress(flags.summary === false ? 'stopping' : 'stopping and summarising');
    const result = await this.request('meeting.stop', { meeting_id: args.id, summarize: flags.summary }, { asHost: true }).finally(() => spinner?.stop());
    return this.show(result, meetingOutcome);
  }
}
