import { readFileSync } from 'node:fs';
import { resolveStateRoot, runPaths } from '../paths.js';

/** Token discovery for clients (§5.2): the environment variable wins, then the file, else none. */
export function discoverToken(role: 'client' | 'host', stateRoot?: string, env: NodeJS.ProcessEnv = process.env): string | null {
  const fromEnv = (role === 'host' ? env.CAR_HOST_TOKEN : env.CAR_AUTH_TOKEN)?.trim();
  if (fromEnv) return fromEnv;
  const paths = runPaths(stateRoot ?? resolveStateRoot(env));
  try {
    const fromFile = readFileSync(role === 'host' ? paths.hostToken : paths.token, 'utf8').trim();
    return fromFile || null;
  } catch {
    return null;
  }
}
