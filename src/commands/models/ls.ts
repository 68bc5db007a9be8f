import { CarCommand } from '../../cli/base-command.js';
import { formatBytes } from '../../cli/inference.js';
import { table } from '../../cli/render.js';
import type { ModelInfo } from '../../protocol/inference.js';

export default class ModelsList extends CarCommand {
  static override summary = 'List the models the daemon can use: local files and remote servers.';
  static override description =
    "The .gguf files of the daemon's models directory (CAR_MODELS_DIR, else <state root>/models), described from their GGUF headers, " +
    'and the remote models added with `car models add` (SOURCE remote), each checked against its server (REACHABLE). ' +
    'The ROLES column says what each model serves (default for `infer`, summary, embedding, whisper); defaults are chosen by what the headers say ' +
    'a model can do, never by file name, unless `car config set model|embedding_model|summary.model <name>` says otherwise or a remote model was added with --role. ' +
    'A local summary model must have a chat template; without one, summaries are extractive.';
  static override aliases = ['models:list', 'models'];
  static override examples = ['<%= config.bin %> models ls', '<%= config.bin %> models ls --json | jq -r ".models[].name"'];

  async run() {
    const result = await this.request('models.list', {});
    for (const model of result.models) if (model.source === 'local' && model.error) process.stderr.write(`warning: ${model.name}: ${model.error}\n`);
    const empty = `no models in ${result.models_dir ?? '(no models directory)'}; put .gguf files there, \`car models pull <uri>\`, \`car models add <name> --url … --model …\`, or start the daemon with --models-dir (or CAR_MODELS_DIR)`;
    return this.show(result, ({ models, summary }) => {
      const why = models.flatMap((m) => Object.entries(m.why).map(([role, reason]) => `${role}: ${m.name}, ${reason}`));
      if (summary.model === null) why.push(`summaries: extractive, because ${summary.reason}`);
      for (const m of models)
        if (m.source === 'remote')
          why.push(`${m.name}: ${m.remote_model} at ${m.url}, ${m.reachable === null ? 'not checked' : m.reachable ? m.status : `unreachable: ${m.status}`}`);
      const listing = table(
        models,
        [
          { header: 'NAME', get: (m) => m.name },
          { header: 'SOURCE', get: (m) => m.source },
          { header: 'SIZE', get: (m) => (m.source === 'local' ? formatBytes(m.size_bytes) : '-') },
          { header: 'ARCH', get: (m) => (m.source === 'local' ? (m.architecture ?? (m.error ? 'unreadable' : '-')) : '-') },
          { header: 'CONTEXT', get: (m) => contextOf(m) },
          { header: 'CHAT', get: (m) => (m.source === 'remote' ? (m.serves.includes('chat') ? 'yes' : '-') : m.chat_template ? 'yes' : 'no') },
          { header: 'REACHABLE', get: (m) => (m.source === 'local' ? '-' : m.reachable === null ? '?' : m.reachable ? 'yes' : 'no') },
          { header: 'ROLES', get: (m) => m.roles.join(',') || '-' },
        ],
        empty,
      );
      return models.length === 0 ? listing : [listing.trimEnd(), ...why].join('\n');
    });
  }
}

function contextOf(model: ModelInfo): string {
  const tokens = model.context_length;
  return tokens === null ? '-' : String(tokens);
}
