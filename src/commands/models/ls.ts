import { CarCommand } from '../../cli/base-command.js';
import { formatBytes } from '../../cli/inference.js';
import { table } from '../../cli/render.js';

export default class ModelsList extends CarCommand {
  static override summary = 'List the local models the daemon can load.';
  static override description =
    'The .gguf files of the daemon\'s models directory (CAR_MODELS_DIR, else <state root>/models), described from their GGUF headers. ' +
    'The ROLES column says what each model serves (default for `infer`, summary, embedding, whisper); defaults are chosen by what the headers say ' +
    'a model can do, never by file name, unless `car config set model|embedding_model|summary.model <name>` says otherwise. ' +
    'A summary model must have a chat template; without one, summaries are extractive.';
  static override aliases = ['models:list', 'models'];
  static override examples = ['<%= config.bin %> models ls', '<%= config.bin %> models ls --json | jq -r ".models[].name"'];

  async run() {
    const result = await this.request('models.list', {});
    for (const model of result.models) if (model.error) process.stderr.write(`warning: ${model.name}: ${model.error}\n`);
    const empty = `no models in ${result.models_dir ?? '(no models directory)'}; put .gguf files there, \`car models pull <uri>\`, or start the daemon with --models-dir (or CAR_MODELS_DIR)`;
    return this.show(result, ({ models, summary }) => {
      const why = models.flatMap((m) => Object.entries(m.why).map(([role, reason]) => `${role}: ${m.name}, ${reason}`));
      if (summary.model === null) why.push(`summaries: extractive, because ${summary.reason}`);
      const listing = table(models, [
        { header: 'NAME', get: (m) => m.name },
        { header: 'SIZE', get: (m) => formatBytes(m.size_bytes) },
        { header: 'ARCH', get: (m) => m.architecture ?? (m.error ? 'unreadable' : '-') },
        { header: 'CONTEXT', get: (m) => (m.context_length === null ? '-' : String(m.context_length)) },
        { header: 'CHAT', get: (m) => (m.chat_template ? 'yes' : 'no') },
        { header: 'ROLES', get: (m) => m.roles.join(',') || '-' },
      ], empty);
      return models.length === 0 ? listing : [listing.trimEnd(), ...why].join('\n');
    });
  }
}
