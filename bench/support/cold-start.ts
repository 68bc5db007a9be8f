import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';
import { runPaths } from '../../src/paths.js';
import type { LockInfo } from '../../src/daemon/root/lock.js';
import { testEnv } from '../../test/helpers/daemon.js';
import { RUN_JS, tempStateRoot } from '../../test/helpers/paths.js';

const PEER_SCRIPT = fileURLToPath(new URL('./peer-server.js', import.meta.url));

/** Milliseconds from spawning `car daemon start --foreground` to the answer of its first call (auth, then `admission.status`). */
export async function daemonColdStartMs(): Promise<number> {
  const stateRoot = tempStateRoot('car-bench-cold-');
  const started = performance.now();
  const child = spawn(process.execPath, [RUN_JS, 'daemon', 'start', '--foreground', '--port', '0'], {
    env: testEnv(stateRoot),
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  try {
    await lineContaining(child.stderr!, 'car daemon listening');
    const paths = runPaths(stateRoot);
    const { url } = JSON.parse(readFileSync(paths.lock, 'utf8')) as LockInfo;
    await firstAnswer(url, [
      { method: 'session.auth', params: { token: readFileSync(paths.token, 'utf8').trim() } },
      { method: 'admission.status', params: {} },
    ]);
    return performance.now() - started;
  } finally {
    child.kill('SIGKILL');
    await once(child, 'exit');
    rmSync(stateRoot, { recursive: true, force: true });
  }
}

/** The same for a bare `ws` server process that parses a request and replies. */
export async function bareColdStartMs(): Promise<number> {
  const dir = tempStateRoot('car-bench-cold-');
  const resultFile = `${dir}/result.json`;
  writeFileSync(resultFile, '{}');
  const started = performance.now();
  const child = spawn(process.execPath, [PEER_SCRIPT, 'bare-ws', 'admission.status', resultFile], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    const port = Number((await lineContaining(child.stdout!, '')).trim());
    await firstAnswer(`ws://127.0.0.1:${port}/`, [{ method: 'admission.status', params: {} }]);
    return performance.now() - started;
  } finally {
    child.kill('SIGKILL');
    await once(child, 'exit');
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The first complete line of `stream` containing `text`; the stream keeps flowing afterwards (a closed pipe could fail the child's later writes). */
function lineContaining(stream: NodeJS.ReadableStream, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let seen = '';
    const onData = (chunk: Buffer) => {
      seen += chunk.toString();
      const lines = seen.split('\n').slice(0, -1);
      const line = lines.find((candidate) => candidate.includes(text));
      if (line === undefined) return;
      stream.off('data', onData);
      stream.resume();
      resolve(line);
    };
    stream.on('data', onData);
    stream.once('end', () => reject(new Error(`the process ended before printing '${text}': ${seen}`)));
  });
}

/** Sends `calls` in order on a new connection and resolves when the last one is answered. */
async function firstAnswer(url: string, calls: { method: string; params: object }[]): Promise<void> {
  const ws = new WebSocket(url, { perMessageDeflate: false });
  await once(ws, 'open');
  const answered = new Promise<void>((resolve) =>
    ws.on('message', (data: Buffer) => {
      if ((JSON.parse(data.toString()) as { id: number }).id === calls.length) resolve();
    }),
  );
  calls.forEach((call, index) => ws.send(JSON.stringify({ jsonrpc: '2.0', id: index + 1, ...call })));
  await answered;
  ws.close();
}
