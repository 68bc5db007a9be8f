import { Flags } from '@oclif/core';
import { stringArg } from '../../cli/args.js';
import { MemoryCommand, factColumns } from '../../cli/memory.js';
import { table } from '../../cli/render.js';
import type { MemoryHit } from '../../protocol/memory.js';

export default class MemoryQuery extends MemoryCommand {
  static override summary = 'Find the facts that best match some words.';
  static override description = 'Facts holding every word come first, then facts holding some; equal scores list the newest first.';
  static override examples = [
    '<%= config.bin %> memory query "coffee morning" --namespace work',
    '<%= config.bin %> memory query deploy -k 20 --namespace work --json | jq ".[].id"',
  ];
  static override args = {
    text: stringArg({ description: 'words to search for', required: true }),
  };
  static override flags = {
    k: Flags.integer({ char: 'k', description: 'how many facts to return (1-100)', min: 1, max: 100, default: 5 }),
  };

  async run() {
    const { args, flags } = await this.parse(MemoryQuery);
    const hits = await this.request('memory.query', { query: args.text, k: flags.k });
    return this.show(hits, () =>
      table<MemoryHit>(hits, [...factColumns.slice(0, 2), { header: 'SCORE', get: (hit) => hit.score.toFixed(3) }, ...factColumns.slice(2)], 'no facts match'),
    );
  }
}
