import { isAbsolute, resolve } from 'node:path';
import { Flags } from '@oclif/core';
import { stringArg } from '../../cli/args.js';
import { CarCommand } from '../../cli/base-command.js';
import { CarError } from '../../errors.js';
import { REMOTE_ROLES, type RemoteRole } from '../../protocol/inference.js';

export default class ModelsAdd extends CarCommand {
  static override summary = "Add a model served by an OpenAI-compatible server (vLLM, llama.cpp's server, ollama, a hosted API).";
  static override description =
    'The daemon calls <url>/chat/completions and <url>/embeddings for it, with its own concurrency limit. The API key is read by the daemon ' +
    'from an environment variable of the daemon (--api-key-env) or from a file (--api-key-file) at each call; it is never stored, sent to the daemon or shown. ' +
    '--role makes it the model for calls that name none: chat (infer), summary (meeting summaries), embedding (embed). Adding an existing name replaces it; ' +
    '`car models rm <name>` removes it. Kept in <state root>/remote-models.json (mode 0600).';
  static override examples = [
    '<%= config.bin %> models add gpu --url http://10.0.0.5:8000/v1 --model meta-llama/Llama-3.1-8B-Instruct --role chat,summary',
    '<%= config.bin %> models add openai --url https://api.openai.com/v1 --model gpt-4o-mini --api-key-env OPENAI_API_KEY --max-concurrent 8',
    '<%= config.bin %> models add local-ollama --url http://127.0.0.1:11434/v1 --model nomic-embed-text --role embedding',
  ];
  /** `--url` is the server's here (as ollama and LiteLLM users expect); the daemon's is `--daemon-url`. */
  static override baseFlags = {
    'daemon-url': Flags.string({ description: 'daemon URL [default: CAR_DAEMON_URL, the `url` setting, or ws://127.0.0.1:9100]', helpGroup: 'GLOBAL' }),
  };
  static override args = {
    name: stringArg({ description: 'the name calls and settings use (car infer -m <name>)', required: true }),
  };
  static override flags = {
    url: Flags.string({ description: 'base URL of the server, usually ending in /v1', required: true }),
    model: Flags.string({ description: 'the model id on that server', required: true }),
    'api-key-env': Flags.string({ description: 'environment variable of the daemon holding the API key', exclusive: ['api-key-file'] }),
    'api-key-file': Flags.string({ description: 'file holding the API key (read by the daemon at each call)', exclusive: ['api-key-env'] }),
    role: Flags.string({ description: `roles it takes for calls that name no model: ${REMOTE_ROLES.join(', ')} (comma-separated)` }),
    'max-concurrent': Flags.integer({ description: 'calls sent to this server at once; more wait in a queue', default: 4, min: 1, max: 64 }),
    'context-length': Flags.integer({ description: 'tokens one call may use (budgets memory context and summary chunks)', default: 4096, min: 256 }),
  };

  protected override async daemonUrlFlag(): Promise<string | undefined> {
    return (await this.parse(ModelsAdd)).flags['daemon-url'];
  }

  async run() {
    const { args, flags } = await this.parse(ModelsAdd);
    const keyFile = flags['api-key-file'];
    const added = await this.request(
      'models.add',
      {
        name: args.name,
        url: flags.url,
        model: flags.model,
        api_key_env: flags['api-key-env'],
        api_key_file: keyFile === undefined ? undefined : isAbsolute(keyFile) ? keyFile : resolve(keyFile),
        roles: parseRoles(flags.role),
        max_concurrent: flags['max-concurrent'],
        context_length: flags['context-length'],
      },
      { asHost: true },
    );
    return this.show(
      added,
      (model) =>
        `added ${model.name}: ${model.remote_model} at ${model.url}${model.roles.length ? ` (roles: ${model.roles.join(', ')})` : ''}\ncheck it with \`car models ls\``,
    );
  }
}

function parseRoles(raw: string | undefined): RemoteRole[] {
  if (raw === undefined) return [];
  const roles = raw
    .split(',')
    .map((role) => role.trim())
    .filter(Boolean);
  const unknown = roles.filter((role) => !(REMOTE_ROLES as readonly string[]).includes(role));
  if (unknown.length)
    throw new CarError(`unknown role ${unknown.map((role) => `'${role}'`).join(', ')}`, `roles are ${REMOTE_ROLES.join(', ')}, e.g. --role chat,summary`, 2);
  return roles as RemoteRole[];
}
