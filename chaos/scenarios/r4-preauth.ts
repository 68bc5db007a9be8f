import { mkdtempSync, rmSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ServerState } from '../../src/daemon/state/server-state.js';
import { ErrorCode } from '../../src/protocol/errors.js';
import { startDaemon } from '../../test/helpers/daemon.js';
import { probe, RpcSocket, sleep, type ChaosScenario } from '../harness.js';

/** Every method the daemon serves, and which of them are open before sign-in. */
async function methodIndex(): Promise<{ name: string; open: boolean }[]> {
  const dir = mkdtempSync(join(tmpdir(), 'car-chaos-index-'));
  const state = ServerState.standalone(dir);
  const methods = state.registry.names().map((name) => ({ name, open: state.registry.get(name)!.allowBeforeAuth === true }));
  await state.close('index_read');
  rmSync(dir, { recursive: true, force: true });
  return methods;
}

/** A child process holding `count` bare TCP connections to `port` (opened in steps of 500) until stopped. */
function floodFrom(port: number, count: number): { opened: Promise<number>; stop(): void } {
  const script = `
    const net = require('node:net');
    const sockets = [];
    (async () => {
      for (let index = 0; index < ${count}; index++) {
        const socket = net.connect(${port}, '127.0.0.1');
        socket.on('error', () => {});
        sockets.push(socket);
        if (index % 500 === 499) await new Promise((resolve) => setTimeout(resolve, 20));
      }
      await new Promise((resolve) => setTimeout(resolve, 1000));
      process.stdout.write(String(sockets.length) + '\\n');
    })();
    setTimeout(() => process.exit(0), 120000);
  `;
  const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  const opened = new Promise<number>((resolve) => child.stdout!.once('data', (chunk: Buffer) => resolve(Number(chunk.toString().trim()))));
  return { opened, stop: () => child.kill('SIGKILL') };
}

/** R4: every method refused before sign-in; floods of unauthenticated and bare TCP connections; a signed-in client keeps working. */
export const preAuth: ChaosScenario = {
  id: 'R4',
  name: 'pre-auth and floods',
  async run(scale) {
    const bareCount = scale === 'full' ? 18_000 : 300;
    const wsCount = scale === 'full' ? 2_000 : 100;
    const daemon = await startDaemon();
    try {
      const methods = (await methodIndex()).filter((method) => !method.open);
      let refused = 0;
      for (const { name } of methods) {
        const sock = await RpcSocket.open(daemon.url);
        const reply = await sock.call(name, {}, 5000);
        if (reply.error?.code === ErrorCode.AuthRequired) refused++;
        sock.close();
      }

      const client = await RpcSocket.signedIn(daemon.url, daemon.token());
      const latency = probe(client);
      let wsRefused = 0;
      await Promise.all(
        Array.from({ length: wsCount }, () =>
          RpcSocket.open(daemon.url).then(
            (sock) => setTimeout(() => sock.close(), 2000),
            () => void wsRefused++,
          ),
        ),
      );
      // The bare flood comes from its own process, so the probe's latencies are the daemon's, not this process's.
      const flood = floodFrom(Number(new URL(daemon.url).port), bareCount);
      const opened = await flood.opened;
      const duringFlood = await client.call('memory.add_fact', { subject: 'flood', body: 'the daemon survived the flood' });
      const served = await latency.stop();
      flood.stop();
      await sleep(500);
      // Once the flood is gone, a new client signs in again (the caps free up as the daemon sees the closes).
      let fresh = false;
      for (const retryBy = Date.now() + 10_000; !fresh && Date.now() < retryBy; await sleep(250)) {
        fresh = await RpcSocket.signedIn(daemon.url, daemon.token()).then(
          (sock) => (sock.close(), true),
          () => false,
        );
      }
      client.close();
      const ok = refused === methods.length && served.failures === 0 && served.p99 <= 2000 && duringFlood.result !== undefined && fresh;
      return {
        id: 'R4',
        scenario: 'pre-auth and floods',
        figure: `${refused}/${methods.length} methods refused before sign-in; ${wsCount} pre-auth + ${opened} bare TCP connections (${wsRefused} refused with 503); signed-in client ${served.failures} failed calls of ${served.calls}, p99 ${served.p99.toFixed(0)} ms; sign-in after the flood ${fresh ? 'works' : 'FAILS'}`,
        bar: 'all refused, 0 failed calls, p99 ≤ 2000 ms, memory works during the flood, sign-in after it',
        ok,
      };
    } finally {
      await daemon.stop();
    }
  },
};
