import { CarCommand } from '../../cli/base-command.js';
import { formatBytes } from '../../cli/inference.js';
import { table } from '../../cli/render.js';

export default class ModelsList extends CarCommand {
  static override summary = 'List the local models the daemon can load.';
  static override description =
    'The .gguf files of the daemon\'s models directory (CAR_MODELS_DIR, else <state root>/models), described from their GGUF headers. ' +
    'The default generation model is marked with *, the default embedding model with +.';
  static override aliases = ['models:list', 'models'];
  static override examples = ['<%= config.bin %> models ls', '<%= config.bin %> models ls --json | jq -r ".models[].name"'];

  async run() {
    const { flags } = await this.parse(ModelsList);
    const result = await this.request(flags, 'models.list', {});
    for (const model of result.models) if (model.error) process.stderr.write(`warning: ${model.name}: ${model.error}\n`);
    const marks = (roles: string[]) => (roles.includes('generation') ? ' *' : '') + (roles.includes('embedding') ? ' +' : '');
    const empty = `no models in ${result.models_dir ?? '(no models directory)'}; put .gguf files there or start the daemon with --models-dir (or CAR_MODELS_DIR)`;
    return this.show(result, ({ models }) =>
      table(models, [
        { header: 'NAME', get: (m) => m.name + marks(m.default_for) },
        { header: 'SIZE', get: (m) => formatBytes(m.size_bytes) },
        { header: 'ARCH', get: (m) => m.architecture ?? (m.error ? 'unreadable' : '-') },
        { header: 'CONTEXT', get: (m) => (m.context_length === null ? '-' : String(m.context_length)) },
      ], empty),
    );
  }
}
