import { Flags } from '@oclif/core';
import { CarCommand } from '../../cli/base-command.js';
import { meetingIdArg, summaryPlaces } from '../../cli/meeting.js';
import { progress } from '../../cli/render.js';

export default class MeetingSummarize extends CarCommand {
  static override summary = 'Summarise a stopped meeting again, with a template and in a language of your choice.';
  static override description =
    'Prints the new summary, writes it to summary.md and keeps the previous one as summary.<n>.md (where they are goes to stderr). ' +
    'Templates: default, action-items, decisions, standup, or the name of a .md file in <state root>/templates holding your instructions. ' +
    'A model summarises only when it has a chat template; otherwise the summary is extractive (central sentences, cue-phrase decisions and ' +
    "action items, keywords: the transcript's own words) and the output says why. What an extractive summary cannot do is refused, not ignored: " +
    '--language, and templates of your own.';
  static override aliases = ['meeting:summarise'];
  static override examples = [
    '<%= config.bin %> meeting summarize mtg-20240611-3fa2c1 --template action-items',
    '<%= config.bin %> meeting summarize standup --template standup --language de',
    '<%= config.bin %> meeting summarize retro --template my-retro   # uses ~/.car/templates/my-retro.md',
  ];
  static override args = {
    id: meetingIdArg,
  };
  static override flags = {
    template: Flags.string({
      char: 't',
      description: 'default | action-items | decisions | standup | <name of a .md in <state root>/templates>',
      default: 'default',
    }),
    language: Flags.string({ char: 'l', description: "language code the model writes in, e.g. 'de' (needs a model with a chat template)" }),
  };

  async run() {
    const { args, flags } = await this.parse(MeetingSummarize);
    const client = await this.connect();
    const spinner = this.jsonEnabled() ? null : await progress('summarising');
    client.on('meeting.summary.progress', ({ meeting_id, done, total }) => {
      if (meeting_id === args.id) spinner?.update(`summarising (${done}/${total} model calls)`);
    });
    try {
      const result = await client.call('meeting.summarize', { id: args.id, template: flags.template, language: flags.language });
      spinner?.stop();
      return this.show(result, (summarized) => {
        if (summarized.summary === null) return `no summary: ${summarized.summary_error}`;
        process.stderr.write(summaryPlaces(summarized));
        return summarized.summary;
      });
    } finally {
      spinner?.stop();
    }
  }
}
