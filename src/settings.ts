import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readLiveLock } from './daemon/root/lock.js';
import { DEFAULT_URL, resolveStateRoot } from './paths.js';

/** The CLI settings kept with `conf` in `<state root>/config.json` (§7.2), with their schema. */
export const SETTINGS_SCHEMA = {
  port: { type: 'integer', minimum: 0, maximum: 65535, description: 'port `car daemon start` listens on' },
  url: { type: 'string', pattern: '^wss?://', description: 'daemon URL clients connect to' },
  model: { type: 'string', description: 'default generation model (a file stem in the models directory)' },
  embedding_model: { type: 'string', description: 'default embedding model' },
  'summary.model': { type: 'string', description: 'model for meeting summaries (it must have a chat template; else summaries are extractive)' },
} as const;

export type SettingKey = keyof typeof SETTINGS_SCHEMA;
export const SETTING_KEYS = Object.keys(SETTINGS_SCHEMA) as SettingKey[];

/** The `conf` store; loaded on demand because it costs ~70 ms of start-up that most commands never need. */
export async function openSettings() {
  const { default: Conf } = await import('conf');
  return new Conf<Partial<Record<SettingKey, string | number>>>({
    cwd: resolveStateRoot(),
    configName: 'config',
    projectName: 'car',
    schema: SETTINGS_SCHEMA as never,
  });
}

/**
 * Reads one setting on the hot path of every client command. It reads the same file
 * `conf` writes, without loading `conf` itself (see `openSettings`).
 */
export function readSetting(key: SettingKey, stateRoot = resolveStateRoot()): string | number | undefined {
  try {
    const stored = JSON.parse(readFileSync(join(stateRoot, 'config.json'), 'utf8')) as Record<string, unknown>;
    // `conf` stores a dotted key such as `summary.model` nested.
    const value = key.split('.').reduce<unknown>((node, part) => (node !== null && typeof node === 'object' ? (node as Record<string, unknown>)[part] : undefined), stored);
    return typeof value === 'string' || typeof value === 'number' ? value : undefined;
  } catch {
    return undefined;
  }
}

/**
 * `--url`, then `CAR_DAEMON_URL`, then the daemon running on this state root (its lock),
 * then the `url` setting, then the `port` setting, then the default.
 */
export function resolveDaemonUrl(flag?: string): string {
  if (flag) return flag;
  if (process.env.CAR_DAEMON_URL) return process.env.CAR_DAEMON_URL;
  const stateRoot = resolveStateRoot();
  const running = readLiveLock(stateRoot);
  if (running) return running.url;
  const url = readSetting('url', stateRoot);
  if (typeof url === 'string') return url;
  const port = readSetting('port', stateRoot);
  return typeof port === 'number' ? `ws://127.0.0.1:${port}` : DEFAULT_URL;
}
