import WebSocket from 'ws';

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
