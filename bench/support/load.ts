import WebSocket from 'ws';
import { summarize } from '../harness.js';

export interface LoadResult {
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
}

/** Opens `count` sockets; when `token` is given each authenticates first. */
export async function openSockets(url: string, count: number, token?: string): Promise<WebSocket[]> {
  const sockets: WebSocket[] = [];
  const batch = 50;
  for (let start = 0; start < count; start += batch) {
    const opened = await Promise.all(
      Array.from({ length: Math.min(batch, count - start) }, async () => {
        const ws = new WebSocket(url, { perMessageDeflate: false });
        await new Promise<void>((resolve, reject) => {
          ws.once('open', () => resolve());
          ws.once('error', reject);
        });
        if (token !== undefined) {
          ws.send(JSON.stringify({ jsonrpc: '2.0', id: 'auth', method: 'session.auth', params: { token } }));
          await new Promise((resolve) => ws.once('message', resolve));
        }
        return ws;
      }),
    );
    sockets.push(...opened);
  }
  return sockets;
}

/**
 * Drives `sockets` with `depth` pipelined requests each for `durationMs`: the same load
 * client for the daemon and for the echo baseline (an echo returns the request itself,
 * which carries the id the client correlates by).
 */
export async function drive(sockets: WebSocket[], method: string, depth: number, durationMs: number): Promise<LoadResult> {
  const latencies: number[] = [];
  let completed = 0;
  const stopAt = performance.now() + durationMs;
  const started = performance.now();
  await Promise.all(
    sockets.map(
      (ws) =>
        new Promise<void>((resolve) => {
          const sentAt = new Map<number, number>();
          let nextId = 1;
          let inFlight = 0;
          const send = () => {
            const id = nextId++;
            sentAt.set(id, performance.now());
            inFlight++;
            ws.send(`{"jsonrpc":"2.0","id":${id},"method":"${method}","params":{}}`);
          };
          const onMessage = (data: Buffer) => {
            const id = envelopeId(data);
            const at = sentAt.get(id);
            if (at === undefined) return;
            sentAt.delete(id);
            inFlight--;
            latencies.push(performance.now() - at);
            completed++;
            if (performance.now() < stopAt) send();
            else if (inFlight === 0) {
              ws.off('message', onMessage);
              resolve();
            }
          };
          ws.on('message', onMessage);
          for (let i = 0; i < depth; i++) send();
        }),
    ),
  );
  const elapsed = (performance.now() - started) / 1000;
  const { p50, p99 } = summarize(latencies);
  return { requestsPerSecond: completed / elapsed, p50Ms: p50, p99Ms: p99 };
}

const ID_KEY = Buffer.from('"id":');

/**
 * The numeric request id of a reply, found without decoding it: decoding a 30 KB listing per
 * reply would measure the client, not the server. The envelope's id is the first `"id":`
 * followed by a digit (some libraries write it after the result, whose string ids never start with one).
 */
function envelopeId(data: Buffer): number {
  for (let at = data.indexOf(ID_KEY); at !== -1; at = data.indexOf(ID_KEY, at + ID_KEY.length)) {
    let id = 0;
    let digits = 0;
    for (let i = at + ID_KEY.length; i < data.length && data[i]! >= 0x30 && data[i]! <= 0x39; i++, digits++) id = id * 10 + data[i]! - 0x30;
    if (digits > 0) return id;
  }
  return NaN;
}
