import { Flags } from '@oclif/core';
import { MemoryCommand, factColumns, factCount } from '../../cli/memory.js';
import { ago, table } from '../../cli/render.js';

export default class MemoryList extends MemoryCommand {
  static override summary = 'List the facts of a memory namespace, newest first.';
  static override description = 'Pages through the graph with memory.list; delete a fact with `car memory rm <id>`.';
  static override aliases = ['memory:list'];
  static override examples = [
    '<%= config.bin %> memory ls --namespace work',
    '<%= config.bin %> memory ls --limit 100 --offset 100 --json | jq -r ".facts[].id"',
  ];
  static override flags = {
    limit: Flags.integer({ description: 'how many facts to list (1-1000)', min: 1, max: 1000, default: 50 }),
    offset: Flags.integer({ description: 'how many of the newest facts to skip', min: 0, default: 0 }),
  };

  async run() {
    const { flags } = await this.parse(MemoryList);
    const result = await this.request('memory.list', { limit: flags.limit, offset: flags.offset });
    return this.show(result, ({ facts, fact_count }) => {
      const shown = facts.length === 0 ? '' : ` (${flags.offset + 1}-${flags.offset + facts.length} shown)`;
      return `${table(facts, [...factColumns, { header: 'ADDED', get: (fact) => ago(fact.created_at) }], 'no facts')}${factCount(fact_count)} in all${shown}`;
    });
  }
}
