import { Flags } from '@oclif/core';
import { stringArg } from '../../cli/args.js';
import { MemoryCommand, factCount, graphLabel } from '../../cli/memory.js';
import { FACT_KINDS } from '../../protocol/memory.js';

export default class MemoryAdd extends MemoryCommand {
  static override summary = 'Add a fact to the memory engine.';
  static override description =
    'With one argument it is the fact, and its first words become its subject; with two, the first is the subject. ' +
    "Prints the new fact's id, so it can be deleted with `car memory rm <id>`. An identical fact (same subject, body and kind) is not stored twice; its id is printed instead.";
  static override examples = [
    '<%= config.bin %> memory add "we deploy on Fridays"',
    '<%= config.bin %> memory add coffee "Alice drinks coffee every morning" --namespace work',
    '<%= config.bin %> memory add deploys "never deploy on Fridays" --kind constraint --namespace work',
  ];
  static override args = {
    first: stringArg({ description: 'the fact (up to 16 KiB), or its subject (1-512 characters) when a second argument follows', required: true }),
    body: stringArg({ description: 'the fact, when the first argument is its subject' }),
  };
  static override flags = {
    kind: Flags.string({ description: 'kind of fact', options: [...FACT_KINDS], default: 'pattern' }),
  };

  async run() {
    const { args, flags } = await this.parse(MemoryAdd);
    const client = await this.connect();
    const [subject, body] = args.body === undefined ? [undefined, args.first] : [args.first, args.body];
    const result = await client.call('memory.add_fact', { subject, body, kind: flags.kind as (typeof FACT_KINDS)[number] });
    return this.show(result, ({ id, fact_count }) => `${id} stored in ${graphLabel(client)} (${factCount(fact_count)})`);
  }
}
