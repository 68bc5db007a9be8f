import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { atLeast, atMost, reported, summarize, underLimit, type BenchRow, type BenchSection } from '../harness.js';
import { drive, openSockets } from '../support/load.js';
import { rssBytes, startDaemon, startEchoServer } from '../support/processes.js';
import { RUN_JS, tempStateRoot } from '../../test/helpers/paths.js';

const DURATION_MS = 3000;
const DEPTH = 8;

/** P1 throughput/latency, P2 memory per session, P7 CLI wall time (issue 2). */
const section: BenchSection = {
  name: 'spine',
  async run() {
    const rows: BenchRow[] = [];
    const daemon = await startDaemon();
    const echo = await startEchoServer();
    const token = daemon.token();
    try {
      for (const connections of [1, 64]) {
        const ours = await openSockets(daemon.url, connections, token);
        const bare = await openSockets(echo.url, connections);
        await drive(ours, 'sessions.list', DEPTH, 500);
        await drive(bare, 'sessions.list', DEPTH, 500);
        const daemonLoad = await drive(ours, 'sessions.list', DEPTH, DURATION_MS);
        const echoLoad = await drive(bare, 'sessions.list', DEPTH, DURATION_MS);
        rows.push(atLeast(`P1 sessions.list req/s, ${connections} conn × ${DEPTH} pipelined`, 'req/s', daemonLoad.requestsPerSecond, echoLoad.requestsPerSecond, 0.7));
        rows.push(atMost(`P1 p50 latency, ${connections} conn`, 'ms', daemonLoad.p50Ms, echoLoad.p50Ms, 2));
        rows.push(atMost(`P1 p99 latency, ${connections} conn`, 'ms', daemonLoad.p99Ms, echoLoad.p99Ms, 2));
        for (const ws of [...ours, ...bare]) ws.terminate();
      }

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

      rows.push(atMost('P7 `car sessions ls` wall time (median of 10)', 'ms', medianWallTime(() => runCar(daemon.env)), medianWallTime(() => runRawScript(daemon.url, token)), 2.5));
    } finally {
      echo.stop();
      await daemon.stop();
    }
    return rows;
  },
};
export default section;

async function settleRss(pid: number): Promise<number> {
  await new Promise((resolve) => setTimeout(resolve, 1500));
  return rssBytes(pid);
}

function medianWallTime(run: () => void): number {
  run();
  const samples: number[] = [];
  for (let i = 0; i < 10; i++) {
    const start = performance.now();
    run();
    samples.push(performance.now() - start);
  }
  return summarize(samples).p50;
}

function runCar(env: NodeJS.ProcessEnv): void {
  const result = spawnSync(process.execPath, [RUN_JS, 'sessions', 'ls'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
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
  const result = spawnSync(process.execPath, [rawScript, url, token], { stdio: ['ignore', 'pipe', 'pipe'] });
  if (result.status !== 0) throw new Error(`raw script failed: ${result.stderr}`);
}
