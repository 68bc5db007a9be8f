import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import WebSocket from 'ws';
import { startDaemon } from '../../test/helpers/daemon.js';
import { RpcSocket, type ChaosScenario } from '../harness.js';

/** Bytes of every file under `dir`, recursively. */
export function bytesUnder(dir: string): number {
  let total = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    total += entry.isDirectory() ? bytesUnder(path) : statSync(path).size;
  }
  return total;
}

/** A wrong token in `session.auth`, the first frame, as a guessing client sends it. */
async function wrongTokenFrame(url: string): Promise<void> {
  const sock = await RpcSocket.open(url).catch(() => null);
  if (!sock) return;
  await sock.call('session.auth', { token: 'not-the-token' }, 5000);
  sock.close();
}

/** A wrong token in the upgrade's Authorization header. */
function wrongTokenHeader(url: string): Promise<void> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, { headers: { authorization: 'Bearer not-the-token' }, perMessageDeflate: false });
    ws.on('error', () => resolve());
    ws.on('unexpected-response', (request) => {
      request.destroy();
      resolve();
    });
    ws.on('open', () => {
      ws.terminate();
      resolve();
    });
  });
}

/** R8: what failed sign-ins cost on disk (log and journal), per attempt. */
export const failedSignIns: ChaosScenario = {
  id: 'R8',
  name: 'disk per failed sign-in',
  async run(scale) {
    const attempts = scale === 'quick' ? 200 : 2000;
    const daemon = await startDaemon();
    const root = daemon.stateRoot;
    // The log is the daemon's stderr, byte for byte what logs/daemon.log would get.
    const before = bytesUnder(join(root, 'journals')) + daemon.logs().length;
    const started = Date.now();
    for (let done = 0; done < attempts; done += 20) {
      await Promise.all(Array.from({ length: 20 }, (_, index) => ((done + index) % 2 === 0 ? wrongTokenFrame(daemon.url) : wrongTokenHeader(daemon.url))));
    }
    const seconds = (Date.now() - started) / 1000;
    await daemon.stop();
    const grown = bytesUnder(join(root, 'journals')) + daemon.logs().length - before;
    const perAttempt = grown / attempts;
    return {
      id: 'R8',
      scenario: 'disk per failed sign-in',
      figure: `${attempts} failed sign-ins in ${seconds.toFixed(1)} s (half in session.auth, half in the upgrade header): log + journal grew ${grown} B, ${perAttempt.toFixed(1)} B per attempt`,
      bar: '≤ 2 B per failed sign-in (aggregated lines)',
      ok: perAttempt <= 2,
    };
  },
};
