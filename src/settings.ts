import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { environment } from './config/environment.js';
import { readLiveLock } from './daemon/root/lock.js';
import { remoteModelNames } from './daemon/inference/remote/remote-names.js';
import { ENGINE_SETTINGS, type EngineSettingKey } from './daemon/voice/engines/engines.js';
import { ConfigError } from './errors.js';
import { DEFAULT_URL, resolveStateRoot } from './paths.js';

const CAR_SETTINGS = {
  port: { type: 'integer', minimum: 1, maximum: 65535, description: 'port `car daemon start` listens on' },
  url: { type: 'string', pattern: '^wss?://', description: 'daemon URL clients connect to' },
  model: { type: 'string', description: 'default generation model (a file stem in the models directory)' },
  embedding_model: { type: 'string', description: 'default embedding model' },
  'summary.model': { type: 'string', description: 'model for meeting summaries (it must have a chat template; else summaries are extractive)' },
  models_dir: { type: 'string', description: 'models directory of every later `car daemon start` (--models-dir and CAR_MODELS_DIR win)' },
} as const;

export type SettingKey = keyof typeof CAR_SETTINGS | EngineSettingKey;

/** The CLI settings kept with `conf` in `<state root>/config.json` (docs/protocol.md#state-root), with their schema: car's own, then the speech engines'. */
export const SETTINGS_SCHEMA: Record<SettingKey, { type: string; description: string }> = {
  ...CAR_SETTINGS,
  ...(Object.fromEntries(ENGINE_SETTINGS.map((setting) => [setting.key, { type: 'string', description: setting.description }])) as Record<
    EngineSettingKey,
    { type: 'string'; description: string }
  >),
};

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
    // `conf` stores dotted keys (whisper.model, summary.model) as nested objects.
    const value = key
      .split('.')
      .reduce<unknown>((node, part) => (node !== null && typeof node === 'object' ? (node as Record<string, unknown>)[part] : undefined), stored);
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
  const fromEnv = environment().daemonUrl;
  if (fromEnv) return fromEnv;
  const stateRoot = resolveStateRoot();
  const running = readLiveLock(stateRoot);
  if (running) return running.url;
  const url = readSetting('url', stateRoot);
  if (typeof url === 'string') return url;
  const port = readSetting('port', stateRoot);
  return typeof port === 'number' ? `ws://127.0.0.1:${port}` : DEFAULT_URL;
}

/**
 * A setting's value from the command line, checked before it is stored: a port is a whole
 * number from 1 to 65535 (so `port ""` is refused, not stored as 0), a URL starts with
 * ws:// or wss://, a speech engine's setting is checked by its engine (against the daemon's
 * models directory), and the other models name a .gguf file there or a remote model.
 */
export function parseSetting(key: SettingKey, raw: string, stateRoot = resolveStateRoot()): string | number {
  const about = `${key} is the ${SETTINGS_SCHEMA[key].description}`;
  if (key === 'port') {
    const port = /^\d+$/.test(raw.trim()) ? Number(raw.trim()) : NaN;
    if (!(port >= 1 && port <= 65535)) throw new ConfigError(`invalid value '${raw}' for port: must be a whole number from 1 to 65535`, about);
    return port;
  }
  if (key === 'url') {
    if (!/^wss?:\/\/\S+$/.test(raw))
      throw new ConfigError(`invalid value '${raw}' for url: must start with ws:// or wss://`, 'e.g. car config set url ws://127.0.0.1:9200');
    return raw;
  }
  if (key === 'models_dir') {
    // Stored absolute: a daemon started from another directory must find the same one.
    const dir = resolve(raw);
    if (!statSync(dir, { throwIfNoEntry: false })?.isDirectory())
      throw new ConfigError(
        `invalid value '${raw}' for models_dir: ${dir} is not a directory`,
        'create it first, or name the directory that holds your .gguf files',
      );
    return dir;
  }
  const dir = modelsDirOf(stateRoot);
  const engineSetting = ENGINE_SETTINGS.find((setting) => setting.key === key);
  if (engineSetting) {
    const problem = engineSetting.problem(raw, dir);
    if (problem) throw new ConfigError(`invalid value '${raw}' for ${key}: ${problem}`, engineSetting.hint(dir));
    return raw;
  }
  if (remoteModelNames(stateRoot).includes(raw)) return raw;
  if (!existsSync(join(dir, `${raw}.gguf`))) {
    const available = [...modelNames(dir), ...remoteModelNames(stateRoot)];
    const hint = available.length
      ? `available: ${available.join(', ')} (see \`car models ls\`)`
      : `put .gguf files in ${dir}, or start the daemon with --models-dir`;
    throw new ConfigError(`invalid value '${raw}' for ${key}: no model '${raw}' in ${dir}`, hint);
  }
  return raw;
}

/** The models directory of the running daemon (as recorded in its lock), else the one the next start would use. */
function modelsDirOf(stateRoot: string): string {
  return readLiveLock(stateRoot)?.env?.CAR_MODELS_DIR ?? environment().modelsDir ?? modelsDirSetting(stateRoot) ?? join(stateRoot, 'models');
}

/** The `models_dir` setting, if it is set. */
export function modelsDirSetting(stateRoot = resolveStateRoot()): string | undefined {
  const dir = readSetting('models_dir', stateRoot);
  return typeof dir === 'string' ? dir : undefined;
}

function modelNames(dir: string): string[] {
  try {
    return readdirSync(dir)
      .filter((name) => name.endsWith('.gguf'))
      .map((name) => name.slice(0, -'.gguf'.length))
      .sort();
  } catch {
    return [];
  }
}
