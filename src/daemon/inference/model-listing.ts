import type { ModelRole, ModelsListResult, RemoteModelInfo, RemoteRole } from '../../protocol/inference.js';
import type { ModelCatalogue } from './catalogue.js';
import type { RemoteModels } from './remote/remote-models.js';

/** The role a remote pick takes from the local models, and the `default_for` it carries. */
const HELD: { use: RemoteRole; role: ModelRole; defaultFor?: 'generation' | 'embedding' }[] = [
  { use: 'chat', role: 'default', defaultFor: 'generation' },
  { use: 'summary', role: 'summary' },
  { use: 'embedding', role: 'embedding', defaultFor: 'embedding' },
];

/**
 * `models.list`: the local files beside the remote models. A remote model that a call
 * without a model name would use (by setting or role) holds that role, and the local
 * model the catalogue would otherwise have picked loses it, so each role has one holder.
 */
export async function listModels(catalogue: ModelCatalogue, remotes: RemoteModels, check: boolean): Promise<ModelsListResult> {
  const [local, remote] = await Promise.all([catalogue.list(), remotes.describeAll(check)]);
  const entries: RemoteModelInfo[] = remote.map((model) => ({ ...model, roles: [], why: {}, default_for: [] }));
  const result: ModelsListResult = { ...local, models: [...local.models, ...entries] };
  for (const { use, role, defaultFor } of HELD) {
    const chosen = remotes.choose(use);
    if (!chosen) continue;
    for (const model of result.models) {
      if (model.source !== 'local') continue;
      model.roles = model.roles.filter((held) => held !== role);
      delete model.why[role];
      if (defaultFor) model.default_for = model.default_for.filter((held) => held !== defaultFor);
    }
    const holder = entries.find((model) => model.name === chosen.model.name)!;
    holder.roles.push(role);
    holder.why[role] = chosen.why;
    if (defaultFor) holder.default_for.push(defaultFor);
    if (use === 'summary') result.summary = { model: holder.name, reason: chosen.why };
  }
  return result;
}
