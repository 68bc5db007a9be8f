import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The file under the state root that lists remote models (mode 0600); keys are referenced, never copied. */
export const REMOTE_MODELS_FILE = 'remote-models.json';

/** The names in a state root's remote models file, for settings that name a model; cheap enough for every CLI command. */
export function remoteModelNames(stateRoot: string): string[] {
  try {
    const stored = JSON.parse(readFileSync(join(stateRoot, REMOTE_MODELS_FILE), 'utf8')) as { models?: { name?: unknown }[] };
    return (stored.models ?? []).map((model) => model.name).filter((name): name is string => typeof name === 'string');
  } catch {
    return [];
  }
}
