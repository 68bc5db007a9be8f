import { homedir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { environment } from './config/environment.js';
import { ConfigError } from './errors.js';

/** Well-known paths under the state root, shared by the daemon, the client and the CLI (docs/protocol.md#files-on-disk). */

const PREFIX = '~/.car/';

/** The state root: `CAR_HOME` (must be absolute) or `~/.car` (docs/protocol.md#state-root). */
export function resolveStateRoot(value: string | undefined = environment().home): string {
  if (value === undefined || value === '') return join(homedir(), '.car');
  if (!isAbsolute(value)) {
    throw new ConfigError(`CAR_HOME must be an absolute path, got '${value}'`, `set CAR_HOME to an absolute directory, e.g. CAR_HOME=$PWD/${value}`);
  }
  return resolve(value);
}

/** A path flag beginning with the literal `~/.car/` lives under the state root; any other path is taken as is. */
export function expandStatePath(path: string, stateRoot: string): string {
  if (path === '~/.car') return stateRoot;
  if (path.startsWith(PREFIX)) return join(stateRoot, path.slice(PREFIX.length));
  return resolve(path);
}

export const runPaths = (stateRoot: string) => ({
  token: join(stateRoot, 'run', 'auth-token'),
  hostToken: join(stateRoot, 'run', 'host-token'),
  lock: join(stateRoot, 'run', 'daemon.lock'),
});

export const DEFAULT_URL = 'ws://127.0.0.1:9100';
