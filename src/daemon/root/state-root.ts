import { chmodSync, mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from '../../errors.js';

/** Creates a directory private to this user (0700), tightening it if it already exists. */
export function ensurePrivateDir(path: string): string {
  mkdirSync(path, { recursive: true, mode: 0o700 });
  chmodSync(path, 0o700);
  return path;
}

/** Refuses a directory another user owns: its tokens could be read or replaced (docs/protocol.md#tokens). */
export function assertOwnedByMe(path: string): void {
  const uid = process.getuid?.();
  if (uid === undefined) return;
  const owner = statSync(path).uid;
  if (owner !== uid) {
    throw new ConfigError(`${path} is owned by uid ${owner}, not by you (uid ${uid}); refusing to use it`, 'point CAR_HOME at a directory you own');
  }
}

export const stateDirs = (stateRoot: string) => ({
  run: join(stateRoot, 'run'),
  journals: join(stateRoot, 'journals'),
  logs: join(stateRoot, 'logs'),
  db: join(stateRoot, 'db'),
  memory: join(stateRoot, 'memory'),
  meetings: join(stateRoot, 'meetings'),
  models: join(stateRoot, 'models'),
});
