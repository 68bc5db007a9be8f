import { readdirSync } from 'node:fs';
import { connect } from 'node:net';
import { goForward } from '../../test/daemon/voice/recordings.js';
import { startDaemon, type DaemonProcess } from '../../test/helpers/daemon.js';
import { p99, rssMiB, RpcSocket, sleep, type ChaosRow, type ChaosScenario } from '../harness.js';
import { bytesUnder } from './r8-failed-sign-ins.js';

const PCM_START = { audio_source: { kind: 'pcm_push', sample_rate: 16000, channels: 1 } };
/** Facts each client keeps; older ones are deleted as it adds. */
const FACTS_KEPT = 50;

/** One client: a voice session to warm up, then a mixed loop of listings, memory, host events and voice sessions with real speech. */
class Worker {
  private calls = 0;
  private readonly speech = goForward().subarray(0, 32000);

  private constructor(
    private readonly sock: RpcSocket,
    private readonly errors: string[],
    /** Every call's latency in ms. */
    private readonly latencies: number[],
  ) {}

  static async signedIn(url: string, token: string, errors: string[], latencies: number[] = []): Promise<Worker> {
    return new Worker(await RpcSocket.signedIn(url, token), errors, latencies);
  }

  /** Loads this client's speech decoder (about 120 MB, a second or more on a busy machine) before RSS is sampled. */
  warmUp(): Promise<void> {
    return this.voiceSession();
  }

  async run(until: number): Promise<number> {
    // The client keeps its last FACTS_KEPT facts: memory holds a steady amount of data, so RSS growth is a leak, not data kept.
    const kept: string[] = [];
    for (let round = 0; Date.now() < until; round++) {
      await this.timed('sessions.list', {});
      const added = await this.timed('memory.add_fact', { subject: `soak ${round % 50}`, body: `fact number ${round}` });
      if (added?.id) kept.push(added.id);
      if (kept.length > FACTS_KEPT) await this.timed('memory.delete', { id: kept.shift() });
      await this.timed('memory.query', { query: 'fact number' });
      await this.timed('host.notify', { kind: 'chaos.soak', payload: { round } });
      if (round % 5 === 0) await this.voiceSession();
    }
    this.sock.close();
    return this.calls;
  }

  private async voiceSession(): Promise<void> {
    const started = await this.sock.call('voice.transcribe_stream.start', PCM_START);
    this.check(started, 'voice start');
    if (!started.result) return;
    this.check(
      await this.sock.call('voice.transcribe_stream.push', { session_id: started.result.session_id, pcm_b64: this.speech.toString('base64') }),
      'voice push',
    );
    this.check(await this.sock.call('voice.transcribe_stream.stop', { session_id: started.result.session_id }), 'voice stop');
  }

  private async timed(method: string, params: unknown): Promise<any> {
    const started = performance.now();
    const reply = await this.sock.call(method, params);
    this.latencies.push(performance.now() - started);
    this.check(reply, method);
    return reply.result;
  }

  private check(reply: any, what: string): void {
    this.calls++;
    if (reply.error && this.errors.length < 10) this.errors.push(`${what}: ${reply.error.message}`);
  }
}

/** Open file descriptors of a process. */
const openFiles = (pid: number): number => readdirSync(`/proc/${pid}/fd`).length;

/**
 * The highest sample of each `windowS`-second window. RSS swings by a decoder's size (~120 MiB) as
 * decoder threads beyond the kept ones load and free theirs; a leak raises the peaks, a swing does not.
 */
function peaks(samples: { at: number; mib: number }[], windowS: number): { at: number; mib: number }[] {
  const windows = new Map<number, { at: number; mib: number }>();
  for (const sample of samples) {
    const window = Math.floor(sample.at / windowS);
    const best = windows.get(window);
    if (!best || sample.mib > best.mib) windows.set(window, sample);
  }
  return [...windows.values()];
}

/** MiB per hour: the least-squares slope of (seconds, MiB) samples. */
function slopePerHour(samples: { at: number; mib: number }[]): number {
  if (samples.length < 2) return 0;
  const n = samples.length;
  const meanT = samples.reduce((sum, s) => sum + s.at, 0) / n;
  const meanM = samples.reduce((sum, s) => sum + s.mib, 0) / n;
  const covariance = samples.reduce((sum, s) => sum + (s.at - meanT) * (s.mib - meanM), 0);
  const variance = samples.reduce((sum, s) => sum + (s.at - meanT) ** 2, 0);
  return variance === 0 ? 0 : (covariance / variance) * 3600;
}

/** Hostile traffic beside the workload (issue 26): every 10 s, 20 failed sign-ins and 50 connections that never speak. */
function hostileLoop(daemon: DaemonProcess, until: number): Promise<number> {
  return (async () => {
    let attempts = 0;
    while (Date.now() < until) {
      await Promise.all(
        Array.from({ length: 20 }, async () => {
          const sock = await RpcSocket.open(daemon.url).catch(() => null);
          if (!sock) return;
          await sock.call('session.auth', { token: 'not-the-token' }, 5000);
          sock.close();
        }),
      );
      const bare = Array.from({ length: 50 }, () => connect(daemon.port, '127.0.0.1').on('error', () => undefined));
      attempts += 70;
      await sleep(10_000);
      for (const socket of bare) socket.destroy();
    }
    return attempts;
  })();
}

interface SoakBars {
  peakMiB: number;
  /** RSS growth once warm: the second half's peak over the first half's in MiB (short runs), or the minute peaks' slope in MiB per hour (the long soak). */
  growth: number;
  p99Ms: number;
  fdGrowth: number;
}

/** Mixed load from three clients (plus hostile traffic in the long soak), RSS and open files sampled every 250 ms (every 5 s in the long soak). */
async function runSoak(id: string, name: string, durationMs: number, hostile: boolean, bars: SoakBars): Promise<ChaosRow> {
  const daemon = await startDaemon();
  try {
    const errors: string[] = [];
    const latencies: number[] = [];
    const workers = await Promise.all([0, 1, 2].map(() => Worker.signedIn(daemon.url, daemon.token(), errors, latencies)));
    await Promise.all(workers.map((worker) => worker.warmUp()));
    const started = Date.now();
    const until = started + durationMs;
    const samples: { at: number; mib: number }[] = [];
    const filesAtStart = openFiles(daemon.pid);
    let filesPeak = filesAtStart;
    const diskAtStart = bytesUnder(daemon.stateRoot);
    const sampler = setInterval(
      () => {
        samples.push({ at: (Date.now() - started) / 1000, mib: rssMiB(daemon.pid) });
        filesPeak = Math.max(filesPeak, openFiles(daemon.pid));
      },
      durationMs > 120_000 ? 5000 : 250,
    );
    const [calls, hostileAttempts] = await Promise.all([
      Promise.all(workers.map((worker) => worker.run(until))).then((counts) => counts.reduce((a, b) => a + b, 0)),
      hostile ? hostileLoop(daemon, until) : 0,
    ]);
    clearInterval(sampler);
    await sleep(hostile ? 11_000 : 100);
    const filesAtEnd = openFiles(daemon.pid);
    // What is still climbing once warm: the slope of the minute peaks over the second half (long soak), or the second half's peak over the first's.
    const half = Math.floor(samples.length / 2);
    const peakOf = (part: { mib: number }[]) => Math.max(...part.map((sample) => sample.mib));
    const growth = hostile ? slopePerHour(peaks(samples.slice(half), 60)) : half >= 1 ? peakOf(samples.slice(half)) - peakOf(samples.slice(0, half)) : 0;
    const peak = Math.max(...samples.map((sample) => sample.mib), rssMiB(daemon.pid));
    const latency = p99(latencies);
    const diskGrowth = bytesUnder(daemon.stateRoot) - diskAtStart;
    const growthText = hostile
      ? `slope of the minute RSS peaks over the second half ${growth.toFixed(1)} MiB/h`
      : `second half's RSS peak over the first's ${growth.toFixed(0)} MiB`;
    return {
      id,
      scenario: name,
      figure:
        `${(durationMs / 1000).toFixed(0)} s, ${calls} calls${hostile ? ` and ${hostileAttempts} hostile connections` : ''}, ${errors.length} errors${errors.length ? ` (${errors[0]})` : ''}; p99 ${latency.toFixed(0)} ms; ` +
        `RSS peak ${peak.toFixed(0)} MiB, ${growthText}; open files ${filesAtStart} → peak ${filesPeak} → ${filesAtEnd}; state root grew ${(diskGrowth / 1024 / 1024).toFixed(1)} MiB`,
      bar: `0 errors, peak ≤ ${bars.peakMiB} MiB, ${hostile ? `slope ≤ ${bars.growth} MiB/h` : `growth ≤ ${bars.growth} MiB`}, p99 ≤ ${bars.p99Ms} ms, open files end ≤ start + ${bars.fdGrowth}`,
      ok: errors.length === 0 && peak <= bars.peakMiB && growth <= bars.growth && latency <= bars.p99Ms && filesAtEnd <= filesAtStart + bars.fdGrowth,
    };
  } finally {
    await daemon.stop();
  }
}

/** R6: a soak of mixed load; no errors, memory bounded. */
export const soak: ChaosScenario = {
  id: 'R6',
  name: 'soak',
  run: (scale) => runSoak('R6', 'soak', scale === 'full' ? 60_000 : 4_000, false, { peakMiB: 1024, growth: 100, p99Ms: 2000, fdGrowth: 16 }),
};

/** R6L (`npm run chaos -- --long`, not in CI): 30 minutes of the same load plus failed sign-ins and silent connections every 10 s. */
export const longSoak: ChaosScenario = {
  id: 'R6L',
  name: 'long soak (30 min)',
  run: () => runSoak('R6L', 'long soak (30 min)', 30 * 60_000, true, { peakMiB: 1024, growth: 20, p99Ms: 1000, fdGrowth: 16 }),
};
