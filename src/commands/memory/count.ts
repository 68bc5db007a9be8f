import { CarCommand } from '../../cli/base-command.js';
import { cliNamespace, namespaceFlag } from '../../cli/memory.js';

export default class MemoryCount extends CarCommand {
  static override summary = 'Print how many facts the memory graph holds.';
  static override examples = ['<%= config.bin %> memory count --namespace work', 'CAR_MEMORY_NAMESPACE=work <%= config.bin %> memory count --json'];
  static override flags = {
    namespace: namespaceFlag,
  };

  async run() {
    const { flags } = await this.parse(MemoryCount);
    const count = await this.request('memory.fact_count', {}, { memoryNamespace: cliNamespace(flags.namespace) });
    return this.show({ fact_count: count }, ({ fact_count }) => String(fact_count));
  }
}
