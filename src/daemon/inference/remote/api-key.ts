import { readFileSync } from 'node:fs';
import { namedVariable } from '../../../config/environment.js';
import { unavailable } from '../../../protocol/errors.js';
import type { ApiKeySource } from '../../../protocol/inference.js';
import type { RemoteModelConfig } from './remote-store.js';

/** Where a remote model's key comes from, as `models.list` shows it (a name, never the key). */
export function apiKeySource(config: RemoteModelConfig): ApiKeySource {
  if (config.api_key_env) return { env: config.api_key_env };
  if (config.api_key_file) return { file: config.api_key_file };
  return null;
}

/**
 * The key, read at each call from the daemon's environment or the key file (so a rotated key
 * needs no re-registration); `null` when the model has none. Errors name the variable or
 * the file, never what it holds.
 */
export function readApiKey(config: RemoteModelConfig): string | null {
  if (config.api_key_env) {
    const key = namedVariable(config.api_key_env);
    if (!key)
      throw unavailable(
        `remote model '${config.name}' takes its API key from the variable ${config.api_key_env}, which is not set in the daemon's environment; set it where the daemon starts and restart it`,
        { kind: 'remote_key_missing', model: config.name },
      );
    return key;
  }
  if (config.api_key_file) {
    let key: string;
    try {
      key = readFileSync(config.api_key_file, 'utf8').trim();
    } catch (error) {
      throw unavailable(
        `remote model '${config.name}' cannot read its API key file ${config.api_key_file} (${(error as NodeJS.ErrnoException).code ?? 'unreadable'})`,
        { kind: 'remote_key_missing', model: config.name },
      );
    }
    if (!key)
      throw unavailable(`the API key file ${config.api_key_file} of remote model '${config.name}' is empty`, {
        kind: 'remote_key_missing',
        model: config.name,
      });
    return key;
  }
  return null;
}
