import { spawn } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tempStateRoot } from '../../test/helpers/paths.js';

/** The bare floor first, then the JSON-RPC libraries the daemon is held against. */
export const PEER_KINDS = ['bare-ws', 'rpc-websockets', 'json-rpc-2.0'] as const;
export type PeerKind = (typeof PEER_KINDS)[number] | 'fts5-ws';

export interface PeerServer {
  kind: PeerKind;
  url: string;
  pid: number;
  stop(): void;
}

const SCRIPT = fileURLToPath(new URL('./peer-server.js', import.meta.url));

/** Starts a peer server process answering `method` with exactly `result` (for `fts5-ws`, `{ file, namespace }` to query). */
export async function startPeer(kind: PeerKind, method: string, result: unknown): Promise<PeerServer> {
  const dir = tempStateRoot('car-bench-peer-');
  const resultFile = join(dir, 'result.json');
  writeFileSync(resultFile, JSON.stringify(result));
  const child = spawn(process.execPath, [SCRIPT, kind, method, resultFile], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout!.once('data', (chunk: Buffer) => resolve(Number(chunk.toString().trim())));
    child.once('exit', (code) => reject(new Error(`${kind} peer server exited with ${code}`)));
  });
  return {
    kind,
    url: `ws://127.0.0.1:${port}/`,
    pid: child.pid!,
    stop: () => {
      child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
