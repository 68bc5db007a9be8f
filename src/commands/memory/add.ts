import { Flags } from '@oclif/core';
import { stringArg } from '../../cli/args.js';
import { MemoryCommand, factCount, graphLabel } from '../../cli/memory.js';
import { FACT_KINDS } from '../../protocol/memory.js';

export default class MemoryAdd extends MemoryCommand {
  static override summary = 'Add a fact to the memory engine.';
  static override description =
    'Prints the new fact\'s id, so it can be deleted with `car memory rm <id>`. An identical fact (same subject, body and kind) is not stored twice; its id is printed instead.';
  static override examples = [
    '<%= config.bin %> memory add coffee "Alice drinks coffee every morning" --namespace work',
    '<%= config.bin %> memory add deploys "never deploy on Fridays" --kind constraint --namespace work',
  ];
  static override args = {
    subject: stringArg({ description: 'what the fact is about (1-512 characters)', required: true }),
    body: stringArg({ description: 'the fact itself (up to 16 KiB)', required: true }),
  };
  static override flags = {
    kind: Flags.string({ description: 'kind of fact', options: [...FACT_KINDS], default: 'pattern' }),
  };

  async run() {
    const { args, flags } = await this.parse(MemoryAdd);
    const client = await this.connect();
    const result = await client.call('memory.add_fact', { subject: args.subject, body: args.body, kind: flags.kind as (typeof FACT_KINDS)[number] });
    return this.show(result, ({ id, fact_count }) => `${id} stored in ${graphLabel(client)} (${factCount(fact_count)})`);
  }
}
