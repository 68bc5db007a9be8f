import { startDaemon } from '../../test/helpers/daemon.js';
import { probe, RpcSocket, sleep, type ChaosScenario } from '../harness.js';

const LIMIT_MIB = 16;

/** R5: a client that stops reading is cut at the 16 MiB buffer limit; others are unaffected. */
export const slowReader: ChaosScenario = {
  id: 'R5',
  name: 'slow reader',
  async run(scale) {
    const readers = scale === 'full' ? 5 : 1;
    const daemon = await startDaemon();
    try {
      const host = await RpcSocket.signedIn(daemon.url, daemon.hostToken(), true);
      // 100 events of 60 KB: each `host.events {limit:100}` reply is ~6 MB.
      for (let index = 0; index < 100; index++) await host.call('host.notify', { kind: 'chaos.bulk', payload: { text: 'x'.repeat(60_000) } });
      const other = await RpcSocket.signedIn(daemon.url, daemon.token());
      const latency = probe(other);
      let cut = 0;
      for (let round = 0; round < readers; round++) {
        const reader = await RpcSocket.signedIn(daemon.url, daemon.hostToken(), true);
        (reader.ws as unknown as { _socket: { pause(): void } })._socket.pause();
        for (let index = 0; index < 12; index++) void reader.call('host.events', { limit: 100 }, 20_000);
        // Its socket is paused, so the daemon's log tells when it was cut.
        const cutLines = () => daemon.logs().split('client is not reading').length - 1;
        for (const giveUpAt = Date.now() + 15_000; cutLines() <= round && Date.now() < giveUpAt;) await sleep(100);
        if (cutLines() > round) cut++;
        reader.close();
      }
      const served = await latency.stop();
      const buffered = [...daemon.logs().matchAll(/client is not reading; closing its connection .*buffered=(\d+)/g)].map(
        (match) => Number(match[1]) / 1024 / 1024,
      );
      const worst = buffered.length ? Math.max(...buffered) : NaN;
      host.close();
      other.close();
      return {
        id: 'R5',
        scenario: 'slow reader',
        figure: `${cut}/${readers} slow readers cut, at most ${worst.toFixed(1)} MiB queued; other client ${served.failures} failed calls, p99 ${served.p99.toFixed(0)} ms`,
        bar: `all cut at ≤ ${LIMIT_MIB} MiB + one reply (8 MiB), 0 failed calls`,
        ok: cut === readers && buffered.length >= readers && worst <= LIMIT_MIB + 8 && served.failures === 0,
      };
    } finally {
      await daemon.stop();
    }
  },
};
