import { mkdtempSync, rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
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

/** R4: every method refused before sign-in; floods of unauthenticated and bare TCP connections; a signed-in client keeps working. */
export const preAuth: ChaosScenario = {
  id: 'R4',
  name: 'pre-auth and floods',
  async run(scale) {
    const bareCount = scale === 'full' ? 18_000 : 300;
    const wsCount = scale === 'full' ? 2_000 : 100;
    const daemon = await startDaemon();
    const bare: Socket[] = [];
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
        Array.from({ length: wsCount }, () => RpcSocket.open(daemon.url).then((sock) => setTimeout(() => sock.close(), 2000), () => void wsRefused++)),
      );
      for (let index = 0; index < bareCount; index++) {
        const socket = connect(Number(new URL(daemon.url).port), '127.0.0.1');
        socket.on('error', () => undefined);
        bare.push(socket);
        if (index % 500 === 499) await sleep(10);
      }
      await sleep(1000);
      const duringFlood = await client.call('memory.add_fact', { subject: 'flood', body: 'the daemon survived the flood' });
      const served = await latency.stop();
      for (const socket of bare) socket.destroy();
      await sleep(500);
      // Once the flood is gone, a new client signs in again (the caps free up as the daemon sees the closes).
      let fresh = false;
      for (const retryBy = Date.now() + 10_000; !fresh && Date.now() < retryBy; await sleep(250)) {
        fresh = await RpcSocket.signedIn(daemon.url, daemon.token()).then((sock) => (sock.close(), true), () => false);
      }
      client.close();
      const ok = refused === methods.length && served.failures === 0 && duringFlood.result !== undefined && fresh;
      return {
        id: 'R4',
        scenario: 'pre-auth and floods',
        figure: `${refused}/${methods.length} methods refused before sign-in; ${wsCount} pre-auth + ${bareCount} bare TCP connections (${wsRefused} refused with 503); signed-in client ${served.failures} failed calls of ${served.calls}, p99 ${served.p99.toFixed(0)} ms; sign-in after the flood ${fresh ? 'works' : 'FAILS'}`,
        bar: 'all refused, 0 failed calls, memory works during the flood, sign-in after it',
        ok,
      };
    } finally {
      for (const socket of bare) socket.destroy();
      await daemon.stop();
    }
  },
};
