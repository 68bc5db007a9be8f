import { Args, Flags } from '@oclif/core';
import { CarCommand } from '../../cli/base-command.js';
import { cliNamespace, namespaceFlag } from '../../cli/memory.js';
import { clip, table } from '../../cli/render.js';


export default class MemoryQuery extends CarCommand {
  static override summary = 'Find the facts that best match some words.';
  static override description = 'Facts holding every word come first, then facts holding some; equal scores list the newest first.';
  static override examples = [
    '<%= config.bin %> memory query "coffee morning" --namespace work',
    '<%= config.bin %> memory query deploy -k 20 --namespace work --json | jq ".[].id"',
  ];
  static override args = {
    text: Args.string({ description: 'words to search for', required: true }),
  };
  static override flags = {
    k: Flags.integer({ char: 'k', description: 'how many facts to return (1-100)', min: 1, max: 100, default: 5 }),
    namespace: namespaceFlag,
    json: Flags.boolean({ description: 'print the memory.query result as JSON' }),
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(MemoryQuery);
    const client = await this.connect(flags, { memoryNamespace: cliNamespace(flags.namespace) });
    const hits = await client.call('memory.query', { query: args.text, k: flags.k });
    if (flags.json) {
      this.printJson(hits);
      return;
    }
    if (hits.length === 0) {
      this.log('no facts match');
      return;
    }
    process.stdout.write(
      table(hits, [
        { header: 'ID', get: (hit) => hit.id },
        { header: 'KIND', get: (hit) => hit.kind },
        { header: 'SCORE', get: (hit) => hit.score.toFixed(3) },
        { header: 'SUBJECT', get: (hit) => clip(hit.subject, 60) },
        { header: 'BODY', get: (hit) => clip(hit.body, 60) },
      ]),
    );
  }
}
