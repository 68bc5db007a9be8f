import { connectBrowser, type Connection } from '../src/client/browser.js';

/**
 * Takes the one-time code out of the address bar (`#code=…`) before anything else runs,
 * replacing the history entry so Back cannot bring it back. Fragments never reach the
 * server, and the code is not kept anywhere but in this function's caller.
 */
export function takeLoginCode(): string | null {
  const code = new URLSearchParams(location.hash.slice(1)).get('code');
  if (location.hash) history.replaceState(null, '', `${location.pathname}${location.search}`);
  return code;
}

export interface SignedIn {
  connection: Connection;
  role: string;
}

/**
 * Trades the code for a session over the page's own WebSocket. The page binds memory
 * namespace 'default', as the CLI's memory commands do, so what `car memory add` stored
 * is what the memory view finds.
 */
export async function signIn(loginCode: string): Promise<SignedIn> {
  const connection = await connectBrowser({ loginCode, memoryNamespace: 'default', clientVersion: 'car-ui' });
  const auth = connection.auth!;
  return { connection, role: auth.auth_enabled ? (auth.role ?? 'client') : 'anonymous' };
}
