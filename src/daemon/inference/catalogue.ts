import { readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { LocalModelInfo, ModelRole, ModelsListResult, SummaryChoice } from '../../protocol/inference.js';
import { notFound, unavailable } from '../../protocol/errors.js';
import { readSetting, type SettingKey } from '../../settings.js';
import type { ModelRef } from './engine.js';
import { ModelHeaders, type ModelHeader } from './model-header.js';
import { ENGINES } from '../voice/engines/engines.js';

export type ModelUse = 'generation' | 'embedding';

const EXTENSION = '.gguf';
/** Speech engines' model files (whisper.cpp's `.bin`) share the directory; they are listed, never loaded by llama.cpp. */
const SPEECH_MODEL_FILES = ENGINES.flatMap((engine) => (engine.modelFiles ? [engine.modelFiles] : []));

interface Described {
  name: string;
  path: string;
  header: ModelHeader;
}

/** A model chosen for a role, and why, in words `car models ls` prints. */
interface Choice {
  name: string;
  why: string;
}

/**
 * The model files of the models directory, by name (the file stem), described from their
 * headers. Callers name models, never paths. With no setting, defaults are chosen by what
 * the headers say the models can do, never by file name: every resolution awaits the same
 * cached header reads, so calls still reach the admission queue in the order they arrived.
 */
export class ModelCatalogue {
  readonly headers = new ModelHeaders();
  private listing: { paths: string[]; stamp: string; described: Promise<Described[]> } | null = null;

  constructor(
    readonly dir: string | null,
    private readonly stateRoot: string | null,
  ) {}

  /** The `.gguf` models, by name. */
  names(): string[] {
    return this.files(EXTENSION);
  }

  /**
   * `requested` must exist (`-32010`; the error lists `remoteNames()` beside the local models,
   * the caller having looked there first); without it the setting for `use` wins, else the most
   * capable model (`-32014` when there is none).
   */
  async resolve(use: ModelUse, requested?: string, remoteNames: () => readonly string[] = () => []): Promise<ModelRef> {
    const models = await this.describeAll();
    const names = models.filter(isGguf).map((model) => model.name);
    if (requested !== undefined) {
      if (names.includes(requested)) return this.ref(requested);
      const allowed = [...names, ...remoteNames()];
      throw notFound(`unknown model '${requested}'; ${this.available(allowed)}`, { field: 'model', allowed });
    }
    const setting = this.defaultSetting(use);
    if (setting && !names.includes(setting.name)) {
      throw unavailable(
        `the default model '${setting.name}' (setting \`${setting.key}\`) is not in the models directory; ${this.available(names)}; choose one with \`car config set ${setting.key} <name>\``,
        {
          allowed: names,
        },
      );
    }
    const choice = this.choose(use, models);
    if (choice) return this.ref(choice.name);
    throw unavailable(names.length ? `no model in ${this.dir} has a readable header; ${this.available(names)}` : this.noModelsMessage());
  }

  /** The model summaries use: only one with a chat template; `model: null` means summaries are extractive, `reason` says why. */
  async summaryModel(): Promise<SummaryChoice & { context_length: number | null }> {
    const models = await this.describeAll();
    const choice = this.chooseSummary(models);
    if ('reason' in choice) return { model: null, reason: choice.reason, context_length: null };
    const chosen = models.find((model) => model.name === choice.name)!;
    return { model: choice.name, reason: choice.why, context_length: chosen.header.capabilities!.context_length };
  }

  refFor(name: string): ModelRef {
    return this.ref(name);
  }

  /** Every model with what its header says and the roles it serves; an unreadable or corrupt file is listed with an `error`. */
  async list(): Promise<ModelsListResult> {
    const models = await this.describeAll();
    const roles = new Map<string, Partial<Record<ModelRole, string>>>();
    const give = (role: ModelRole, choice: Choice | null) => {
      if (choice) roles.set(choice.name, { ...roles.get(choice.name), [role]: choice.why });
    };
    const generation = this.choose('generation', models);
    const embedding = this.choose('embedding', models);
    const summary = this.chooseSummary(models);
    give('default', generation);
    give('summary', 'reason' in summary ? null : summary);
    give('embedding', embedding);
    for (const files of SPEECH_MODEL_FILES) {
      const chosen = files.choose(this.dir, (key) => this.setting(key as SettingKey));
      const model = chosen && models.find((described) => resolve(described.path) === resolve(chosen.path));
      if (model) give(files.role, { name: model.name, why: chosen.why });
    }
    return {
      models_dir: this.dir,
      models: models.map((model) => this.info(model, generation, embedding, roles.get(model.name) ?? {})),
      summary: 'reason' in summary ? { model: null, reason: summary.reason } : { model: summary.name, reason: summary.why },
    };
  }

  private info(model: Described, generation: Choice | null, embedding: Choice | null, roles: Partial<Record<ModelRole, string>>): LocalModelInfo {
    const capabilities = model.header.capabilities;
    const info: LocalModelInfo = {
      source: 'local',
      name: model.name,
      file: model.path.slice(model.path.lastIndexOf('/') + 1),
      size_bytes: model.header.size_bytes,
      architecture: capabilities?.architecture ?? null,
      context_length: capabilities?.context_length ?? null,
      chat_template: capabilities?.chat_template ?? false,
      default_for: [...(generation?.name === model.name ? ['generation' as const] : []), ...(embedding?.name === model.name ? ['embedding' as const] : [])],
      roles: Object.keys(roles) as ModelRole[],
      why: roles,
    };
    if (model.header.error) info.error = model.header.error;
    return info;
  }

  private choose(use: ModelUse, models: Described[]): Choice | null {
    const names = models.filter(isGguf).map((model) => model.name);
    const setting = this.defaultSetting(use);
    if (setting) return names.includes(setting.name) ? { name: setting.name, why: `setting \`${setting.key}\`` } : null;
    const usable = models.filter((model) => isGguf(model) && model.header.capabilities !== null);
    const encoders = usable.filter((model) => model.header.capabilities!.embedding_only);
    if (use === 'embedding' && encoders.length) return { name: mostCapable(encoders).name, why: 'the most capable embedding model (by its header)' };
    const chat = usable.filter((model) => !model.header.capabilities!.embedding_only);
    if (!chat.length) return null;
    const best = mostCapable(chat);
    const caps = best.header.capabilities!;
    const what = caps.chat_template ? 'has a chat template' : 'no model has a chat template';
    return { name: best.name, why: `the most capable model by its header (${what}; width × layers ${caps.capacity}, context ${caps.context_length ?? '?'})` };
  }

  private chooseSummary(models: Described[]): Choice | { reason: string } {
    const chatReady = (name: string) => models.find((model) => model.name === name && isGguf(model))?.header.capabilities?.chat_template === true;
    const configured = this.setting('summary.model');
    if (configured) {
      if (chatReady(configured)) return { name: configured, why: 'setting `summary.model`' };
      const exists = models.some((model) => model.name === configured && isGguf(model));
      return {
        reason: exists
          ? `the model '${configured}' (setting \`summary.model\`) has no chat template, so it is not used to summarise`
          : `the model '${configured}' (setting \`summary.model\`) is not in the models directory`,
      };
    }
    const general = this.setting('model');
    if (general && chatReady(general)) return { name: general, why: 'setting `model` (it has a chat template)' };
    const candidates = models.filter((model) => isGguf(model) && model.header.capabilities?.chat_template && !model.header.capabilities.embedding_only);
    if (candidates.length) return { name: mostCapable(candidates).name, why: 'the most capable model with a chat template' };
    const ggufs = models.filter(isGguf);
    return { reason: ggufs.length ? `no model has a chat template (${ggufs.map((model) => model.name).join(', ')})` : 'there is no model' };
  }

  /**
   * Every call resolves its model here, so the listing is kept while the directory and its files
   * stay as they were: a few synchronous stats (microseconds, from the kernel's cache) instead of
   * reading the directory, sniffing `.bin` files and a stat per file through the thread pool,
   * which cost each `infer` about 0.6 ms in the daemon. A file added, removed, renamed or
   * rewritten in place changes the stamp.
   */
  private describeAll(): Promise<Described[]> {
    if (this.listing && this.listing.stamp === this.stamp(this.listing.paths)) return this.listing.described;
    const named = (extension: string) => this.files(extension).map((name) => ({ name, path: join(this.dir!, name + extension) }));
    const files = [
      ...named(EXTENSION),
      // A speech engine's extension on a file it does not recognise (a .bin that is not a whisper model) is none of ours.
      ...SPEECH_MODEL_FILES.flatMap((speech) => named(speech.extension).filter((file) => speech.recognises(file.path))),
    ];
    const paths = files.map((file) => file.path);
    const described = Promise.all(files.map(async (file) => ({ ...file, header: await this.headers.read(file.path) })));
    this.listing = { paths, stamp: this.stamp(paths), described };
    return described;
  }

  /** The directory's and the files' sizes and modification times. */
  private stamp(paths: string[]): string {
    if (this.dir === null) return '';
    return [this.dir, ...paths]
      .map((path) => {
        const info = statSync(path, { throwIfNoEntry: false });
        return info ? `${info.size}:${info.mtimeMs}` : '-';
      })
      .join('|');
  }

  private files(extension: string): string[] {
    if (this.dir === null) return [];
    try {
      return readdirSync(this.dir, { withFileTypes: true })
        .filter((entry) => (entry.isFile() || entry.isSymbolicLink()) && entry.name.endsWith(extension) && !entry.name.startsWith('.'))
        .map((entry) => entry.name.slice(0, -extension.length))
        .sort();
    } catch {
      return [];
    }
  }

  /** Embeddings default to `embedding_model`, else to the generation default `model`. */
  private defaultSetting(use: ModelUse): { key: SettingKey; name: string } | null {
    const keys: SettingKey[] = use === 'embedding' ? ['embedding_model', 'model'] : ['model'];
    for (const key of keys) {
      const name = this.setting(key);
      if (name) return { key, name };
    }
    return null;
  }

  private setting(key: SettingKey): string | null {
    if (this.stateRoot === null) return null;
    const value = readSetting(key, this.stateRoot);
    return typeof value === 'string' && value ? value : null;
  }

  private ref(name: string): ModelRef {
    return { name, path: join(this.dir!, name + EXTENSION) };
  }

  private available(names: string[]): string {
    return names.length ? `available: ${names.join(', ')} (list them with \`car models ls\`)` : this.noModelsMessage();
  }

  private noModelsMessage(): string {
    if (this.dir === null) return 'no models directory is configured; set CAR_MODELS_DIR to a directory of .gguf model files and restart the daemon';
    return `no model file (.gguf) in ${this.dir}; fetch one with \`car models pull <hf:owner/repo/file.gguf | https://…/file.gguf>\`, or start the daemon with CAR_MODELS_DIR pointing at a directory of .gguf files`;
  }
}

const isGguf = (model: Described) => model.path.endsWith(EXTENSION);

/** Chat template first, then width × layers, then context, then size; the name only breaks exact ties, so the choice is stable. */
function mostCapable(models: Described[]): Described {
  const key = (model: Described) => {
    const caps = model.header.capabilities!;
    return [caps.chat_template ? 1 : 0, caps.capacity, caps.context_length ?? 0, model.header.size_bytes];
  };
  return [...models].sort((a, b) => {
    const [ka, kb] = [key(a), key(b)];
    for (let i = 0; i < ka.length; i++) if (ka[i] !== kb[i]) return kb[i]! - ka[i]!;
    return a.name < b.name ? -1 : 1;
  })[0]!;
}
