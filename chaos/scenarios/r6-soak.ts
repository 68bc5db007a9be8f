import { goForward } from '../../test/daemon/voice/recordings.js';
import { startDaemon } from '../../test/helpers/daemon.js';
import { rssMiB, RpcSocket, sleep, type ChaosScenario } from '../harness.js';

const PCM_START = { audio_source: { kind: 'pcm_push', sample_rate: 16000, channels: 1 } };

/** One client: a voice session to warm up, then a mixed loop of listings, memory, host events and voice sessions with real speech. */
class Worker {
  private calls = 0;
  private readonly speech = goForward().subarray(0, 32000);

  private constructor(
    private readonly sock: RpcSocket,
    private readonly errors: string[],
  ) {}

  static async signedIn(url: string, token: string, errors: string[]): Promise<Worker> {
    return new Worker(await RpcSocket.signedIn(url, token), errors);
  }

  /** Loads this client's speech decoder (about 120 MB, a second or more on a busy machine) before RSS is sampled. */
  warmUp(): Promise<void> {
    return this.voiceSession();
  }

  async run(until: number): Promise<number> {
    for (let round = 0; Date.now() < until; round++) {
      this.check(await this.sock.call('sessions.list', {}), 'sessions.list');
      this.check(await this.sock.call('memory.add_fact', { subject: `soak ${round % 50}`, body: `fact number ${round}` }), 'memory.add_fact');
      this.check(await this.sock.call('memory.query', { query: 'fact number' }), 'memory.query');
      this.check(await this.sock.call('host.notify', { kind: 'chaos.soak', payload: { round } }), 'host.notify');
      if (round % 5 === 0) await this.voiceSession();
    }
    this.sock.close();
    return this.calls;
  }

  private async voiceSession(): Promise<void> {
    const started = await this.sock.call('voice.transcribe_stream.start', PCM_START);
    this.check(started, 'voice start');
    if (!started.result) return;
    this.check(await this.sock.call('voice.transcribe_stream.push', { session_id: started.result.session_id, pcm_b64: this.speech.toString('base64') }), 'voice push');
    this.check(await this.sock.call('voice.transcribe_stream.stop', { session_id: started.result.session_id }), 'voice stop');
  }

  private check(reply: any, what: string): void {
    this.calls++;
    if (reply.error && this.errors.length < 10) this.errors.push(`${what}: ${reply.error.message}`);
  }
}

/** R6: a soak of mixed load with RSS sampled every second; no errors, memory bounded. */
export const soak: ChaosScenario = {
  id: 'R6',
  name: 'soak',
  async run(scale) {
    const durationMs = scale === 'full' ? 60_000 : 4_000;
    const daemon = await startDaemon();
    try {
      const errors: string[] = [];
      const workers = await Promise.all([0, 1, 2].map(() => Worker.signedIn(daemon.url, daemon.token(), errors)));
      await Promise.all(workers.map((worker) => worker.warmUp()));
      const until = Date.now() + durationMs;
      const samples: number[] = [];
      const sampler = setInterval(() => samples.push(rssMiB(daemon.pid)), 1000);
      const calls = (await Promise.all(workers.map((worker) => worker.run(until)))).reduce((a, b) => a + b, 0);
      clearInterval(sampler);
      await sleep(100);
      // Growth over the second half of the run: what is still climbing once warm.
      const half = samples.slice(Math.floor(samples.length / 2));
      const growth = half.length >= 2 ? half.at(-1)! - half[0]! : 0;
      const peak = Math.max(...samples, rssMiB(daemon.pid));
      return {
        id: 'R6',
        scenario: 'soak',
        figure: `${(durationMs / 1000).toFixed(0)} s, ${calls} calls, ${errors.length} errors${errors.length ? ` (${errors[0]})` : ''}; RSS peak ${peak.toFixed(0)} MiB, growth over the second half ${growth.toFixed(0)} MiB`,
        bar: '0 errors, peak ≤ 1024 MiB, growth over the second half ≤ 100 MiB',
        ok: errors.length === 0 && peak <= 1024 && growth <= 100,
      };
    } finally {
      await daemon.stop();
    }
  },
};
