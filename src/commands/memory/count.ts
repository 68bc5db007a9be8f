import { MemoryCommand } from '../../cli/memory.js';

export default class MemoryCount extends MemoryCommand {
  static override summary = 'Print how many facts the memory graph holds.';
  static override examples = ['<%= config.bin %> memory count --namespace work', 'CAR_MEMORY_NAMESPACE=work <%= config.bin %> memory count --json'];

  async run() {
    const count = await this.request('memory.fact_count', {});
    return this.show({ fact_count: count }, ({ fact_count }) => String(fact_count));
  }
}
