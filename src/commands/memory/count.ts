import { CarCommand } from '../../cli/base-command.js';
import { cliNamespace, namespaceFlag } from '../../cli/memory.js';

export default class MemoryCount extends CarCommand {
  static override summary = 'Print how many facts the memory graph holds.';
  static override examples = ['<%= config.bin %> memory count --namespace work', 'CAR_MEMORY_NAMESPACE=work <%= config.bin %> memory count'];
  static override flags = {
    namespace: namespaceFlag,
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(MemoryCount);
    const client = await this.connect(flags, { memoryNamespace: cliNamespace(flags.namespace) });
    const count = await client.call('memory.fact_count', {});
    this.log(String(count));
  }
}
