import { stringArg } from '../cli/args.js';
import { CarCommand } from '../cli/base-command.js';
import { embeddingModelFlag } from '../cli/inference.js';
import { progress } from '../cli/render.js';

export default class Embed extends CarCommand {
  static override summary = 'Print the embedding vector of a text.';
  static override description = 'Prints the vector as one JSON array; --json prints the whole `embed` result (model and dimensions too).';
  static override examples = ['<%= config.bin %> embed "the cat sat on the mat"', '<%= config.bin %> embed "hello" -m stories260K --json | jq .dimensions'];
  static override args = {
    text: stringArg({ description: 'text to embed', required: true }),
  };
  static override flags = {
    model: embeddingModelFlag,
  };

  async run() {
    const { args, flags } = await this.parse(Embed);
    const client = await this.connect();
    const spinner = await progress('embedding');
    const result = await client.call('embed', { texts: [args.text], model: flags.model }).finally(() => spinner.stop());
    return this.show(result, ({ embeddings }) => JSON.stringify(embeddings[0]));
  }
}
