import WebSocket from 'ws';
import { reported, summarize, type BenchRow, type BenchSection } from '../harness.js';
import { openSockets } from '../support/load.js';
import { startDaemon } from '../support/processes.js';

const SESSION_COUNTS = [10, 100, 1000, 2000];
const CALLS = 200;
/** What `car sessions ls` asks for to draw its table. */
const TABLE_FORM = { fields: ['is_self', 'remote', 'role', 'connected_at', 'subscriptions', 'memory', 'voice_sessions', 'meetings'], limit: 100 };

/**
 * How `sessions.list` grows with the number of sessions: p50 of one call at a time and the
 * reply's size, for the whole default reply and for the CLI's trimmed page, beside the
 * constant-size `admission.status` on the same daemon at the same moment.
 */
const section: BenchSection = {
  name: 'sessions',
  async run() {
    const rows: BenchRow[] = [];
    const daemon = await startDaemon();
    const token = daemon.token();
    const idle: WebSocket[] = [];
    try {
      const [probe] = await openSockets(daemon.url, 1, token);
      for (const sessions of SESSION_COUNTS) {
        idle.push(...(await openSockets(daemon.url, sessions - 1 - idle.length, token)));
        const constant = await timeCalls(probe!, 'admission.status', {});
        const whole = await timeCalls(probe!, 'sessions.list', {});
        const table = await timeCalls(probe!, 'sessions.list', TABLE_FORM);
        rows.push(reported(`sessions.list p50, ${sessions} sessions, whole reply (vs admission.status)`, 'ms', whole.p50Ms, constant.p50Ms));
        rows.push(reported(`sessions.list p50, ${sessions} sessions, CLI table form (vs admission.status)`, 'ms', table.p50Ms, constant.p50Ms));
        rows.push(reported(`sessions.list reply, ${sessions} sessions, whole (vs admission.status)`, 'KB', whole.bytes / 1024, constant.bytes / 1024));
        rows.push(reported(`sessions.list reply, ${sessions} sessions, CLI table form (vs admission.status)`, 'KB', table.bytes / 1024, constant.bytes / 1024));
      }
      probe!.close();
    } finally {
      for (const ws of idle) ws.terminate();
      await daemon.stop();
    }
    return rows;
  },
};
export default section;

/** One call at a time on `ws`: the p50 round trip and the size of the last reply frame. */
async function timeCalls(ws: WebSocket, method: string, params: object): Promise<{ p50Ms: number; bytes: number }> {
  const samples: number[] = [];
  let bytes = 0;
  for (let id = 1; id <= CALLS; id++) {
    const started = performance.now();
    const reply = await new Promise<Buffer>((resolve) => {
      ws.once('message', resolve);
      ws.send(JSON.stringify({ jsonrpc: '2.0', id, method, params }));
    });
    samples.push(performance.now() - started);
    bytes = reply.length;
  }
  return { p50Ms: summarize(samples).p50, bytes };
}
