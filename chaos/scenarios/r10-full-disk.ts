import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startDaemon } from '../../test/helpers/daemon.js';
import { RpcSocket, sleep, type ChaosScenario } from '../harness.js';
import { probeSignIns } from '../sign-in-probe.js';
import { SmallFilesystem } from '../../test/helpers/small-filesystem.js';

/** Unreadable lines and missing sequence numbers over every journal file. */
export function journalDamage(dir: string): { unreadable: number; gaps: number; events: number } {
  let unreadable = 0;
  let gaps = 0;
  let events = 0;
  for (const name of readdirSync(dir).filter((file) => file.endsWith('.jsonl'))) {
    let expected = 1;
    for (const line of readFileSync(join(dir, name), 'utf8').split('\n')) {
      if (line === '') continue;
      let seq: number;
      try {
        seq = (JSON.parse(line) as { seq: number }).seq;
      } catch {
        unreadable++;
        continue;
      }
      events++;
      if (seq !== expected) gaps++;
      expected = seq + 1;
    }
  }
  return { unreadable, gaps, events };
}

/** A few calls that write to the journal while the disk is full. */
async function journalTraffic(sock: RpcSocket): Promise<void> {
  for (let index = 0; index < 20; index++) await sock.call('host.notify', { kind: 'chaos.full_disk', payload: { index } }, 5000);
}

/** R10: a full, then read-only, state root (a loop-mounted ext4): sign-in still works, no ghost sessions, the journal stays whole. */
export const fullDisk: ChaosScenario = {
  id: 'R10',
  name: 'full disk',
  async run(scale) {
    const fs = SmallFilesystem.mount(24);
    if (typeof fs === 'string') return { id: 'R10', scenario: 'full disk', figure: `skipped: ${fs}`, bar: 'runs as root', ok: true };
    const stateRoot = join(fs.dir, 'root');
    const daemon = await startDaemon({ stateRoot, logFile: join(stateRoot, 'logs', 'daemon.log') }).catch((error: Error) => {
      fs.unmount();
      throw error;
    });
    const probeMs = scale === 'quick' ? 2000 : 6000;
    try {
      const token = daemon.token();
      const watcher = await RpcSocket.signedIn(daemon.url, daemon.hostToken(), true);
      fs.fill();
      await journalTraffic(watcher);
      const full = await probeSignIns(daemon.url, token, probeMs, 250, 3000);
      const status = (await watcher.call('daemon.status', {}, 5000)).result;
      fs.free();
      // Retries land within a few seconds once the disk takes writes again.
      await sleep(3000);
      const after = await probeSignIns(daemon.url, token, 1000, 250, 3000);
      await sleep(500);
      const listed = (await watcher.call('sessions.list', {}, 5000)).result;
      const ghosts = (listed?.count ?? 0) - 1;
      fs.failReadOnly();
      await journalTraffic(watcher);
      const readOnly = await probeSignIns(daemon.url, token, probeMs, 250, 3000);
      watcher.close();
      const stopStarted = Date.now();
      const stopped = await Promise.race([daemon.stop().then(() => true), sleep(10_000).then(() => false)]);
      const stopSeconds = (Date.now() - stopStarted) / 1000;
      const damage = journalDamage(join(stateRoot, 'journals'));
      const failures = status?.journal_writes?.failures ?? 'not reported';
      const ok =
        full.failed === 0 &&
        full.worstMs <= 1000 &&
        readOnly.failed === 0 &&
        readOnly.worstMs <= 1000 &&
        after.failed === 0 &&
        ghosts === 0 &&
        stopped &&
        damage.unreadable === 0 &&
        damage.gaps === 0;
      return {
        id: 'R10',
        scenario: 'full disk',
        figure:
          `full: ${full.attempts - full.failed}/${full.attempts} signed in, worst ${full.worstMs.toFixed(0)} ms; space back: ${after.attempts - after.failed}/${after.attempts}, ${ghosts} ghost sessions; ` +
          `read-only: ${readOnly.attempts - readOnly.failed}/${readOnly.attempts}, worst ${readOnly.worstMs.toFixed(0)} ms; SIGTERM ${stopped ? `stopped it in ${stopSeconds.toFixed(1)} s` : 'did not stop it within 10 s'}; journal ${damage.events} events, ${damage.unreadable} unreadable lines, ${damage.gaps} seq gaps; daemon.status journal write failures when full: ${failures}`,
        bar: 'every sign-in within 1000 ms, 0 ghosts, stops on SIGTERM, 0 unreadable lines, 0 gaps',
        ok,
      };
    } finally {
      await daemon.kill();
      fs.unmount();
    }
  },
};
