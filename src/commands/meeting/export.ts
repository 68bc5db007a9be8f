import { writeFile } from 'node:fs/promises';
import { Flags } from '@oclif/core';
import { CarCommand } from '../../cli/base-command.js';
import { meetingIdArg } from '../../cli/meeting.js';
import { offlineMeetings } from '../../cli/offline-meetings.js';
import { EXPORT_FORMATS, exportTranscript } from '../../client/transcript-export.js';

export default class MeetingExport extends CarCommand {
  static override summary = 'Export a meeting transcript as Markdown, text, SRT or VTT subtitles, or JSON.';
  static override description =
    'Times come from each segment’s start and end; Markdown leads with the summary. Without -o the export goes to stdout. With no daemon running, reads <state root>/meetings directly.';
  static override examples = [
    '<%= config.bin %> meeting export mtg-20240611-3fa2c1 --format srt -o standup.srt',
    '<%= config.bin %> meeting export standup --format vtt > standup.vtt',
    '<%= config.bin %> meeting export standup --format txt | less',
  ];
  static override args = {
    id: meetingIdArg,
  };
  static override flags = {
    format: Flags.string({ char: 'f', description: 'export format', options: [...EXPORT_FORMATS], default: 'md' }),
    output: Flags.string({ char: 'o', description: 'file to write instead of stdout' }),
  };

  async run() {
    const { args, flags } = await this.parse(MeetingExport);
    const transcript = await this.orOffline(
      () => this.request('meeting.transcript', { id: args.id }),
      () => offlineMeetings.transcript(args.id),
    );
    // --json hands back the segments themselves, like --format json without the document wrapper.
    if (this.jsonEnabled()) return transcript;
    const text = exportTranscript(transcript, flags.format as (typeof EXPORT_FORMATS)[number]);
    if (flags.output) {
      await writeFile(flags.output, text);
      process.stderr.write(`wrote ${transcript.segments.length} segments to ${flags.output}\n`);
    } else process.stdout.write(text);
  }
}
