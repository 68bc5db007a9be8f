import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { atMost, reported, summarize, underLimit, type BenchRow, type BenchSection } from '../harness.js';
import { bareColdStartMs, daemonColdStartMs } from '../support/cold-start.js';
import { likeForLike } from '../support/like-for-like.js';
import { openSockets } from '../support/load.js';
import { startPeer } from '../support/peers.js';
import { rssBytes, startDaemon } from '../support/processes.js';
import { RUN_JS, tempStateRoot } from '../../test/helpers/paths.js';

const COLD_STARTS = 5;

/** P1 like-for-like throughput/latency, P2 memory per session, P7 CLI wall time, daemon cold start. */
const section: BenchSection = {
  name: 'spine',
  async run() {
    // P1 has a daemon of its own: the garbage its load leaves would count in P2's idle figure.
    const p1Daemon = await startDaemon();
    const rows: BenchRow[] = [];
    try {
      rows.push(...(await likeForLike(p1Daemon)));
    } finally {
      await p1Daemon.stop();
    }
    const daemon = await startDaemon();
    const echo = await startPeer('bare-ws', 'sessions.list', {});
    const token = daemon.token();
    try {
      const idle = await settleRss(daemon.pid);
      const echoIdle = await settleRss(echo.pid);
      const many = await openSockets(daemon.url, 2000, token);
      const echoMany = await openSockets(echo.url, 2000);
      const loaded = await settleRss(daemon.pid);
      const echoLoaded = await settleRss(echo.pid);
      const perSession = (loaded - idle) / 2000 / 1024;
      const perEchoConnection = (echoLoaded - echoIdle) / 2000 / 1024;
      rows.push(underLimit('P2 RSS per idle authenticated session (2,000)', 'KB', perSession, perEchoConnection, 20));
      for (const ws of [...many, ...echoMany]) ws.close();
      await new Promise((resolve) => setTimeout(resolve, 2000));
      const afterClose = await settleRss(daemon.pid);
      rows.push(reported('P2 RSS after all 2,000 closed (vs idle before)', 'MB', afterClose / 1024 / 1024, idle / 1024 / 1024));

      const [car, raw] = medianWallTimes([() => runCar(daemon.env), () => runRawScript(daemon.url, token)]);
      rows.push(atMost('P7 `car sessions ls` wall time (median of 10, taking turns with the raw script)', 'ms', car!, raw!, 2.5));
    } finally {
      echo.stop();
      await daemon.stop();
    }

    const ours: number[] = [];
    const bare: number[] = [];
    for (let i = 0; i < COLD_STARTS; i++) {
      ours.push(await daemonColdStartMs());
      bare.push(await bareColdStartMs());
    }
    rows.push(
      reported(`daemon cold start to first answered call (median of ${COLD_STARTS}) vs bare ws server`, 'ms', summarize(ours).p50, summarize(bare).p50),
    );
    return rows;
  },
};
export default section;

async function settleRss(pid: number): Promise<number> {
  await new Promise((resolve) => setTimeout(resolve, 1500));
  return rssBytes(pid);
}

/** Each command's median wall time over 10 runs after a warm-up, the commands taking turns so a slow phase of the host falls on all of them. */
function medianWallTimes(commands: (() => void)[]): number[] {
  for (const run of commands) run();
  const samples = commands.map((): number[] => []);
  for (let i = 0; i < 10; i++) {
    commands.forEach((run, index) => {
      const start = performance.now();
      run();
      samples[index]!.push(performance.now() - start);
    });
  }
  return samples.map((times) => summarize(times).p50);
}

function runCar(env: NodeJS.ProcessEnv): void {
  const result = spawnSync(process.execPath, [RUN_JS, 'sessions', 'ls'], { env, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`car sessions ls failed: ${result.stderr}`);
}

let rawScript: string | null = null;
function runRawScript(url: string, token: string): void {
  rawScript ??= (() => {
    const file = join(tempStateRoot('car-bench-'), 'raw.mjs');
    writeFileSync(
      file,
      `import WebSocket from ${JSON.stringify(new URL('../../../node_modules/ws/wrapper.mjs', import.meta.url).pathname)};
const ws = new WebSocket(process.argv[2]);
ws.on('open', () => ws.send(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'session.auth', params: { token: process.argv[3] } })));
ws.on('message', (data) => {
  const reply = JSON.parse(data);
  if (reply.id === 1) ws.send(JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'sessions.list', params: {} }));
  else { console.log(JSON.stringify(reply.result)); ws.close(); }
});
`,
    );
    return file;
  })();
  const result = spawnSync(process.execPath, [rawScript, url, token], { stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`raw script failed: ${result.stderr}`);
}
