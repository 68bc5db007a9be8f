import { goForward } from '../../test/daemon/voice/recordings.js';
import { startDaemon } from '../../test/helpers/daemon.js';
import { rssMiB, RpcSocket, sleep, type ChaosScenario } from '../harness.js';

const PCM_START = { audio_source: { kind: 'pcm_push', sample_rate: 16000, channels: 1 } };

/** One client's mixed loop: listings, memory, host events, voice sessions with real speech. */
async function worker(url: string, token: string, until: number, errors: string[]): Promise<number> {
  const sock = await RpcSocket.signedIn(url, token);
  const speech = goForward().subarray(0, 32000);
  let calls = 0;
  const check = (reply: any, what: string) => {
    calls++;
    if (reply.error && errors.length < 10) errors.push(`${what}: ${reply.error.message}`);
  };
  for (let round = 0; Date.now() < until; round++) {
    check(await sock.call('sessions.list', {}), 'sessions.list');
    check(await sock.call('memory.add_fact', { subject: `soak ${round % 50}`, body: `fact number ${round}` }), 'memory.add_fact');
    check(await sock.call('memory.query', { query: 'fact number' }), 'memory.query');
    check(await sock.call('host.notify', { kind: 'chaos.soak', payload: { round } }), 'host.notify');
    if (round % 5 === 0) {
      const started = await sock.call('voice.transcribe_stream.start', PCM_START);
      check(started, 'voice start');
      if (started.result) {
        check(await sock.call('voice.transcribe_stream.push', { session_id: started.result.session_id, pcm_b64: speech.toString('base64') }), 'voice push');
        check(await sock.call('voice.transcribe_stream.stop', { session_id: started.result.session_id }), 'voice stop');
      }
    }
  }
  sock.close();
  return calls;
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
      const until = Date.now() + durationMs;
      const samples: number[] = [];
      const sampler = setInterval(() => samples.push(rssMiB(daemon.pid)), 1000);
      const calls = (await Promise.all([0, 1, 2].map(() => worker(daemon.url, daemon.token(), until, errors)))).reduce((a, b) => a + b, 0);
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
