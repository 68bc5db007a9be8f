import { readFileSync } from 'node:fs';
import { environment, type CarEnvironment } from '../config/environment.js';
import { resolveStateRoot, runPaths } from '../paths.js';

/** Token discovery for clients (docs/protocol.md#tokens): the environment variable wins, then the file, else none. */
export function discoverToken(role: 'client' | 'host', stateRoot?: string, env: CarEnvironment = environment()): string | null {
  const fromEnv = role === 'host' ? env.hostToken : env.authToken;
  if (fromEnv) return fromEnv;
  const paths = runPaths(stateRoot ?? resolveStateRoot(env.home));
  try {
    const fromFile = readFileSync(role === 'host' ? paths.hostToken : paths.token, 'utf8').trim();
    return fromFile || null;
  } catch {
    return null;
  }
}
