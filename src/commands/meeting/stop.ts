import { Flags } from '@oclif/core';
import { stringArg } from '../../cli/args.js';
import { CarCommand } from '../../cli/base-command.js';
import { meetingOutcome } from '../../cli/meeting.js';
import { progress } from '../../cli/render.js';
import { CarError } from '../../errors.js';

export default class MeetingStop extends CarCommand {
  static override summary = 'Stop a recording meeting and summarise it.';
  static override description =
    'Without an id it stops the only meeting recording. Another connection (a `car meeting start` in another terminal, or one that has gone: ' +
    'a meeting the daemon records outlives it) owns the meeting, so this command signs in with the host token, which may stop any meeting.';
  static override examples = [
    '<%= config.bin %> meeting stop',
    '<%= config.bin %> meeting stop mtg-20240611-3fa2c1',
    '<%= config.bin %> meeting stop standup --no-summary --json',
  ];
  static override args = {
    id: stringArg({ description: 'meeting id (see `car meeting ls`) [default: the only meeting recording]' }),
  };
  static override flags = {
    summary: Flags.boolean({ description: 'summarise the transcript [default: what `car meeting start` was given, else yes]', allowNo: true }),
  };

  async run() {
    const { args, flags } = await this.parse(MeetingStop);
    const client = await this.connect({ asHost: true });
    const id = args.id ?? (await this.onlyRecording(client.call('meeting.list', {})));
    const spinner = this.jsonEnabled() ? null : await progress(flags.summary === false ? 'stopping' : 'stopping and summarising');
    const result = await client.call('meeting.stop', { meeting_id: id, summarize: flags.summary }).finally(() => spinner?.stop());
    return this.show(result, meetingOutcome);
  }

  private async onlyRecording(listing: Promise<{ meetings: { id: string; status: string }[] }>): Promise<string> {
    const recording = (await listing).meetings.filter((meeting) => meeting.status === 'recording').map((meeting) => meeting.id);
    if (recording.length === 1) return recording[0]!;
    if (recording.length === 0) throw new CarError('no meeting is recording', 'list meetings with `car meeting ls`');
    throw new CarError(`${recording.length} meetings are recording: ${recording.join(', ')}`, 'name the one to stop: `car meeting stop <id>`');
  }
}
