import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { ModelInfo, ModelsListResult } from '../../protocol/inference.js';
import { notFound, unavailable } from '../../protocol/errors.js';
import { readSetting, type SettingKey } from '../../settings.js';
import type { ModelRef } from './engine.js';
import { loadLlamaModule } from './llama.js';

export type ModelRole = 'generation' | 'embedding';

const EXTENSION = '.gguf';

/**
 * The `.gguf` files of the models directory, by name (the file stem). Callers name models,
 * never paths. Resolution is synchronous on purpose: calls reach the admission queue in
 * the order they arrived.
 */
export class ModelCatalogue {
  constructor(
    readonly dir: string | null,
    private readonly stateRoot: string | null,
  ) {}

  names(): string[] {
    if (this.dir === null) return [];
    try {
      return readdirSync(this.dir, { withFileTypes: true })
        .filter((entry) => (entry.isFile() || entry.isSymbolicLink()) && entry.name.endsWith(EXTENSION))
        .map((entry) => entry.name.slice(0, -EXTENSION.length))
        .sort();
    } catch {
      return [];
    }
  }

  /** `requested` must exist (`-32010`); without it the setting for `role` is used, else the first file (`-32014` when there is none). */
  resolve(role: ModelRole, requested?: string): ModelRef {
    const names = this.names();
    if (requested !== undefined) {
      if (names.includes(requested)) return this.ref(requested);
      throw notFound(`unknown model '${requested}'; ${this.available(names)}`, { field: 'model', allowed: names });
    }
    const setting = this.defaultSetting(role);
    if (setting) {
      if (names.includes(setting.name)) return this.ref(setting.name);
      throw unavailable(`the default model '${setting.name}' (setting \`${setting.key}\`) is not in the models directory; ${this.available(names)}; choose one with \`car config set ${setting.key} <name>\``, {
        allowed: names,
      });
    }
    if (names.length > 0) return this.ref(names[0]!);
    throw unavailable(this.noModelsMessage());
  }

  /** Every model with what its GGUF header says; an unreadable or corrupt file is listed with an `error` instead. */
  async list(): Promise<ModelsListResult> {
    const names = this.names();
    const defaults = new Map<string, ModelInfo['default_for']>();
    for (const role of ['generation', 'embedding'] as const) {
      const name = this.defaultName(role, names);
      if (name) defaults.set(name, [...(defaults.get(name) ?? []), role]);
    }
    const models = await Promise.all(names.map((name) => this.describe(name, defaults.get(name) ?? [])));
    return { models_dir: this.dir, models };
  }

  private async describe(name: string, defaultFor: ModelInfo['default_for']): Promise<ModelInfo> {
    const path = this.ref(name).path;
    const info: ModelInfo = { name, size_bytes: 0, architecture: null, context_length: null, default_for: defaultFor };
    try {
      info.size_bytes = statSync(path).size;
      const { readGgufFileInfo } = await loadLlamaModule();
      const gguf = await readGgufFileInfo(path, { readTensorInfo: false, sourceType: 'filesystem', logWarnings: false });
      info.architecture = gguf.metadata.general?.architecture ?? null;
      const contextLength = (gguf.architectureMetadata as { context_length?: unknown }).context_length;
      info.context_length = typeof contextLength === 'number' ? contextLength : null;
    } catch (error) {
      info.error = (error as Error).message.slice(0, 200);
    }
    return info;
  }

  private defaultName(role: ModelRole, names: string[]): string | null {
    const setting = this.defaultSetting(role);
    if (setting) return names.includes(setting.name) ? setting.name : null;
    return names[0] ?? null;
  }

  /** Embeddings default to `embedding_model`, else to the generation default `model`. */
  private defaultSetting(role: ModelRole): { key: SettingKey; name: string } | null {
    if (this.stateRoot === null) return null;
    const keys: SettingKey[] = role === 'embedding' ? ['embedding_model', 'model'] : ['model'];
    for (const key of keys) {
      const value = readSetting(key, this.stateRoot);
      if (typeof value === 'string' && value) return { key, name: value };
    }
    return null;
  }

  private ref(name: string): ModelRef {
    return { name, path: join(this.dir!, name + EXTENSION) };
  }

  private available(names: string[]): string {
    return names.length ? `available: ${names.join(', ')} (list them with \`car models ls\`)` : this.noModelsMessage();
  }

  private noModelsMessage(): string {
    if (this.dir === null) return 'no models directory is configured; set CAR_MODELS_DIR to a directory of .gguf model files and restart the daemon';
    return `no model file (.gguf) in ${this.dir}; put one there or start the daemon with CAR_MODELS_DIR pointing at a directory of .gguf files, then optionally pick it with \`car config set model <name>\``;
  }
}
