import { readFileSync } from 'node:fs';
import WebSocket from 'ws';

/** Shared shapes and tools of `npm run chaos`: every scenario runs against a real daemon process on loopback. */

/** `full` is `npm run chaos`; `quick` is the seconds-long variant `npm test` runs. */
export type Scale = 'full' | 'quick';

export interface ChaosRow {
  id: string;
  scenario: string;
  /** What was measured, e.g. `0 crashes, client p99 12 ms`. */
  figure: string;
  /** What the figure must meet. */
  bar: string;
  ok: boolean;
}

export interface ChaosScenario {
  id: string;
  name: string;
  run(scale: Scale): Promise<ChaosRow>;
}

export function formatTable(rows: ChaosRow[]): string {
  const lines = rows.map((row) => [row.id, row.scenario, row.figure, row.bar, row.ok ? 'met' : 'MISSED']);
  const header = ['row', 'scenario', 'figure', 'bar', ''];
  const widths = header.map((title, index) => Math.max(title.length, ...lines.map((line) => line[index]!.length)));
  const format = (cells: string[]) =>
    cells
      .map((cell, index) => cell.padEnd(widths[index]!))
      .join('  ')
      .trimEnd();
  return ['## chaos', format(header), ...lines.map(format)].join('\n') + '\n';
}

export function rssMiB(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? Number(match[1]) / 1024 : NaN;
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Runs `step` until `count` runs or `budgetMs` has passed, whichever comes first; returns how many ran. */
export async function bounded(count: number, budgetMs: number, step: (index: number) => Promise<void> | void): Promise<number> {
  const deadline = Date.now() + budgetMs;
  let index = 0;
  while (index < count && Date.now() < deadline) await step(index++);
  return index;
}

/** A minimal JSON-RPC client over a bare WebSocket, so scenarios can also misbehave. */
export class RpcSocket {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve(message: any): void; timer: NodeJS.Timeout }>();
  readonly notifications: any[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      if (isBinary) return;
      let message: any;
      try {
        message = JSON.parse(data.toString());
      } catch {
        return;
      }
      const waiter = typeof message.id === 'number' ? this.pending.get(message.id) : undefined;
      if (waiter) {
        this.pending.delete(message.id);
        clearTimeout(waiter.timer);
        waiter.resolve(message);
      } else if (message.method && this.notifications.length < 1000) this.notifications.push(message);
    });
    ws.on('error', () => undefined);
    this.closed = new Promise((resolve) =>
      ws.on('close', (code, reason) => {
        // No reply will come on a closed connection: its pending calls fail now.
        for (const [id, waiter] of this.pending) {
          clearTimeout(waiter.timer);
          waiter.resolve({ id, error: { code: 0, message: `connection closed (${code})` } });
        }
        this.pending.clear();
        resolve({ code, reason: reason.toString() });
      }),
    );
  }

  static open(url: string): Promise<RpcSocket> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, { perMessageDeflate: false, maxPayload: 64 * 1024 * 1024 });
      ws.once('open', () => resolve(new RpcSocket(ws)));
      ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
      ws.once('error', reject);
    });
  }

  static async signedIn(url: string, token: string, asHost = false): Promise<RpcSocket> {
    const sock = await RpcSocket.open(url);
    const auth = await sock.call('session.auth', asHost ? { host_token: token } : { token });
    if (!auth.result) throw new Error(`sign-in failed: ${JSON.stringify(auth.error)}`);
    await sock.call('server.handshake', { protocol_version: 2 });
    return sock;
  }

  /** The whole reply (result or error); a reply that does not come within `timeoutMs` resolves as a timeout error. */
  call(method: string, params: unknown, timeoutMs = 15_000): Promise<any> {
    const id = this.nextId++;
    if (this.ws.readyState !== WebSocket.OPEN) return Promise.resolve({ id, error: { code: 0, message: 'connection is not open' } });
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        resolve({ id, error: { code: 0, message: `no reply to ${method} within ${timeoutMs} ms` } });
      }, timeoutMs);
      this.pending.set(id, { resolve, timer });
      this.ws.send(JSON.stringify({ jsonrpc: '2.0', id, method, params }));
    });
  }

  send(frame: string | Buffer, binary = false): void {
    if (this.ws.readyState === WebSocket.OPEN) this.ws.send(frame, { binary });
  }

  close(): void {
    this.ws.terminate();
  }
}

/** The p99 of a set of latencies in ms. */
export function p99(samples: number[]): number {
  if (!samples.length) return NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(sorted.length * 0.99) - 1)]!;
}

/** A well-behaved client calling `sessions.list` every `everyMs` until stopped; its latencies and failures. */
export function probe(sock: RpcSocket, everyMs = 50): { stop(): Promise<{ p99: number; failures: number; calls: number }> } {
  const latencies: number[] = [];
  let failures = 0;
  let running = true;
  const loop = (async () => {
    while (running) {
      const started = performance.now();
      const reply = await sock.call('sessions.list', {}, 5000);
      latencies.push(performance.now() - started);
      if (!reply.result) failures++;
      await sleep(everyMs);
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return { p99: p99(latencies), failures, calls: latencies.length };
    },
  };
}
