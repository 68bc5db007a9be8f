import { startDaemon } from '../../test/helpers/daemon.js';
import { rssMiB, sleep, type ChaosScenario } from '../harness.js';
import { startFlood } from '../sign-in-probe.js';

/** R9: 64 unsigned sockets each sending an unfinished 8 MiB frame (reopened as they close) hold bounded memory. */
export const preAuthMemory: ChaosScenario = {
  id: 'R9',
  name: 'memory before sign-in',
  async run(scale) {
    const daemon = await startDaemon();
    try {
      await sleep(1000);
      const baseline = rssMiB(daemon.pid);
      const flood = await startFlood('big-frame', daemon.port, 64);
      let peak = baseline;
      const until = Date.now() + (scale === 'quick' ? 3000 : 12_000);
      while (Date.now() < until) {
        peak = Math.max(peak, rssMiB(daemon.pid));
        await sleep(100);
      }
      flood.stop();
      await sleep(scale === 'quick' ? 2000 : 10_000);
      const after = rssMiB(daemon.pid);
      return {
        id: 'R9',
        scenario: 'memory before sign-in',
        figure: `64 unsigned sockets, each an unfinished 8 MiB frame, reopened as closed: RSS ${baseline.toFixed(0)} → peak ${peak.toFixed(0)} → ${after.toFixed(0)} MiB (${scale === 'quick' ? 2 : 10} s after), +${(peak - baseline).toFixed(0)} MiB at the peak`,
        bar: 'peak ≤ baseline + 64 MiB, after ≤ baseline + 32 MiB',
        ok: peak - baseline <= 64 && after - baseline <= 32,
      };
    } finally {
      await daemon.stop();
    }
  },
};
