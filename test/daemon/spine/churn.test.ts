import assert from 'node:assert/strict';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, it } from 'node:test';
import { startInProcess } from '../../helpers/in-process.js';
import { rawSocket } from '../../helpers/raw-socket.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** Issue 2.4: no session survives its connection (docs/protocol.md#transport). */
describe('session churn', () => {
  it('leaves the session map empty and the heap where it started after 10,000 connect/disconnect cycles', async () => {
    const daemon = await startInProcess();
    const cycle = async () => {
      const sock = await rawSocket(daemon.url);
      sock.send({ jsonrpc: '2.0', id: 1, method: 'session.auth', params: { token: daemon.token } });
      await sock.next();
      sock.close();
      await sock.closed;
    };
    const settle = async () => {
      for (let i = 0; i < 200 && daemon.state.sessions.size > 0; i++) await new Promise((resolve) => setTimeout(resolve, 10));
      for (let i = 0; i < 3; i++) {
        gc();
        await new Promise((resolve) => setImmediate(resolve));
      }
    };
    const runCycles = async (count: number) => {
      const lanes = 16;
      await Promise.all(
        Array.from({ length: lanes }, async (_, lane) => {
          for (let i = lane; i < count; i += lanes) await cycle();
        }),
      );
    };

    await runCycles(500); // warm up allocator and JIT before the baseline
    await settle();
    const baseline = process.memoryUsage().heapUsed;
    await runCycles(10_000);
    await settle();
    assert.equal(daemon.state.sessions.size, 0, 'every session was removed');
    const grown = process.memoryUsage().heapUsed - baseline;
    // The test process also holds the client sockets' garbage; 10,000 leaked sessions would be tens of MB.
    assert.ok(grown < 4 * 1024 * 1024, `heap grew by ${(grown / 1024 / 1024).toFixed(1)} MiB over 10,000 cycles`);
    await daemon.close();
  });
});
