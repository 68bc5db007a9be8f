import WebSocket from 'ws';

export interface RawSocket {
  ws: WebSocket;
  send(message: unknown): void;
  /** The next text frame, parsed. */
  next(timeoutMs?: number): Promise<any>;
  /** Collects frames until `predicate` matches one; returns them all. */
  until(predicate: (message: any) => boolean, timeoutMs?: number): Promise<any[]>;
  closed: Promise<{ code: number; reason: string }>;
  close(): void;
}

/** A bare WebSocket for edge cases the typed client would never produce. */
export async function rawSocket(url: string, headers: Record<string, string> = {}): Promise<RawSocket> {
  const ws = new WebSocket(url, { headers, perMessageDeflate: false, maxPayload: 64 * 1024 * 1024 });
  const queue: any[] = [];
  const waiters: ((message: any) => void)[] = [];
  ws.on('message', (data: Buffer, isBinary: boolean) => {
    const message = isBinary ? data : JSON.parse(data.toString());
    const waiter = waiters.shift();
    if (waiter) waiter(message);
    else queue.push(message);
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })));
  ws.on('error', () => {});
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    ws.once('error', reject);
  });
  const next = (timeoutMs = 5000) =>
    new Promise<any>((resolve, reject) => {
      if (queue.length) return resolve(queue.shift());
      const timer = setTimeout(() => reject(new Error('no frame within timeout')), timeoutMs);
      waiters.push((message) => {
        clearTimeout(timer);
        resolve(message);
      });
    });
  return {
    ws,
    send: (message) => ws.send(typeof message === 'string' ? message : JSON.stringify(message)),
    next,
    async until(predicate, timeoutMs = 5000) {
      const seen: any[] = [];
      for (;;) {
        const message = await next(timeoutMs);
        seen.push(message);
        if (predicate(message)) return seen;
      }
    },
    closed,
    close: () => ws.close(),
  };
}
