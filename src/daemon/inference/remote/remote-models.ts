import type { z } from 'zod';
import type { RemoteAdmissionStatus } from '../../../protocol/core.js';
import { conflict, notFound } from '../../../protocol/errors.js';
import type { modelsAddParams, RemoteModelInfo, RemoteRole } from '../../../protocol/inference.js';
import { readSetting, type SettingKey } from '../../../settings.js';
import { log } from '../../log.js';
import { readApiKey } from './api-key.js';
import { RemoteModel } from './remote-model.js';
import { RemoteModelStore } from './remote-store.js';

/**
 * The setting that decides a use when set (naming a local model leaves the choice to the
 * catalogue), and the one that counts only after the role: embeddings fall back to `model`.
 */
const SETTINGS_FOR: Record<RemoteRole, { decides: SettingKey; fallback?: SettingKey }> = {
  chat: { decides: 'model' },
  embedding: { decides: 'embedding_model', fallback: 'model' },
  summary: { decides: 'summary.model' },
};

/**
 * The remote models (issue 24): registered with `models.add`, kept in the state root's
 * remote-models.json, each with its own client and admission gate. A model is picked by
 * name, by the setting for its use, or by the role it was added for; only then does the
 * local catalogue choose.
 */
export class RemoteModels {
  private readonly store: RemoteModelStore;
  private readonly models = new Map<string, RemoteModel>();

  constructor(
    private readonly stateRoot: string | null,
    private readonly idleTimeoutMs: number,
    /** The local model names, which a remote one may not take. */
    private readonly localNames: () => string[],
  ) {
    this.store = new RemoteModelStore(stateRoot);
    for (const config of this.store.all()) this.models.set(config.name, new RemoteModel(config, idleTimeoutMs));
  }

  has(name: string): boolean {
    return this.models.has(name);
  }

  names(): string[] {
    return [...this.models.keys()];
  }

  /** The remote model for a call: the one named, else the setting for `use`, else the first added for `use`, else the fallback setting. */
  pick(use: RemoteRole, requested?: string): RemoteModel | null {
    return this.choose(use, requested)?.model ?? null;
  }

  /** Why `pick(use)` chose what it chose, in the words `car models ls` prints. */
  choose(use: RemoteRole, requested?: string): { model: RemoteModel; why: string } | null {
    if (requested !== undefined) {
      const model = this.models.get(requested);
      return model ? { model, why: 'named in the call' } : null;
    }
    const { decides, fallback } = SETTINGS_FOR[use];
    const named = (key: SettingKey) => {
      const model = this.models.get(this.setting(key) ?? '');
      return model ? { model, why: `setting \`${key}\`` } : null;
    };
    if (this.setting(decides) !== null) return named(decides);
    const byRole = [...this.models.values()].find((model) => model.config.roles.includes(use));
    if (byRole) return { model: byRole, why: `added with --role ${use}` };
    return fallback ? named(fallback) : null;
  }

  async add(params: z.output<typeof modelsAddParams>): Promise<Omit<RemoteModelInfo, 'roles' | 'why' | 'default_for'>> {
    if (this.localNames().includes(params.name))
      throw conflict(`'${params.name}' is already a local model; pick another name for the remote one`, { field: 'name' });
    const config = { ...params, added_at: new Date().toISOString() };
    // A key file that cannot be read is refused now, not at the first call; a variable may be set at the daemon's next start.
    if (config.api_key_file) readApiKey(config);
    await this.store.put(config);
    this.models.set(config.name, new RemoteModel(config, this.idleTimeoutMs));
    log.info('remote model added', { model: config.name, url: config.url, remote_model: config.model, roles: config.roles.join(',') });
    return this.models.get(config.name)!.describe(false);
  }

  async remove(name: string): Promise<void> {
    if (!this.models.has(name)) throw notFound(`unknown remote model '${name}'`, { field: 'name' });
    await this.store.remove(name);
    this.models.delete(name);
    log.info('remote model removed', { model: name });
  }

  /** Every remote model, checked against its server in parallel when `check`. */
  describeAll(check: boolean): Promise<Omit<RemoteModelInfo, 'roles' | 'why' | 'default_for'>[]> {
    return Promise.all([...this.models.values()].map((model) => model.describe(check)));
  }

  admissionStatus(): RemoteAdmissionStatus[] {
    return [...this.models.values()].map(({ name, gate }) => ({
      model: name,
      permits_total: gate.permitsTotal,
      permits_in_use: gate.inUse,
      permits_available: gate.permitsTotal - gate.inUse,
      queued: gate.queued,
    }));
  }

  private setting(key: SettingKey): string | null {
    if (this.stateRoot === null) return null;
    const value = readSetting(key, this.stateRoot);
    return typeof value === 'string' && value ? value : null;
  }
}
