import { stringArg } from '../../cli/args.js';
import { MemoryCommand, factCount } from '../../cli/memory.js';
import { CarError } from '../../errors.js';

export default class MemoryRemove extends MemoryCommand {
  static override summary = 'Delete one fact by its id.';
  static override description =
    'The id is what `car memory add` printed, or the ID column of `car memory ls` / `car memory query`. An unknown id is an error (exit 1).';
  static override aliases = ['memory:delete'];
  static override examples = ['<%= config.bin %> memory rm ws-1a2b3c4d5e6f --namespace work'];
  static override args = {
    id: stringArg({ description: 'fact id', required: true }),
  };

  async run() {
    const { args } = await this.parse(MemoryRemove);
    const result = await this.request('memory.delete', { id: args.id });
    if (!result.deleted)
      throw new CarError(`no fact '${args.id}' in namespace '${await this.namespace()}'`, 'list the ids with `car memory ls` (and check --namespace)');
    return this.show(result, ({ id, fact_count }) => `deleted ${id} (${factCount(fact_count)} left)`);
  }
}
