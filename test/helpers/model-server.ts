import { createReadStream, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { basename, join } from 'node:path';

export interface ModelServer {
  url: string;
  /** Every GET's path and Range header, in arrival order. */
  requests: { path: string; range: string | null }[];
  /** Until released, range responses reaching past `stallFrom` send headers and then nothing, as a stalled connection would (the size probe is answered). */
  stallFrom: number | null;
  /** Body bytes sent for range requests so far. */
  bytesSent: number;
  close(): Promise<void>;
}

/**
 * Serves the files of `dir` over HTTP on 127.0.0.1 with byte ranges, as a model mirror
 * would: `/<file>` and the Hugging Face layout `/<owner>/<repo>/resolve/<branch>/<file>`.
 */
export async function serveModels(dir: string): Promise<ModelServer> {
  const sockets = new Set<import('node:net').Socket>();
  const state: ModelServer = { url: '', requests: [], stallFrom: null, bytesSent: 0, close: async () => undefined };
  const server: Server = createServer((request, response) => {
    const file = join(dir, basename(decodeURIComponent(new URL(request.url!, 'http://x').pathname)));
    let size: number;
    try {
      size = statSync(file).size;
    } catch {
      response.writeHead(404).end();
      return;
    }
    const range = /^bytes=(\d+)-(\d*)$/.exec(request.headers.range ?? '');
    if (request.method === 'GET') state.requests.push({ path: new URL(request.url!, 'http://x').pathname, range: request.headers.range ?? null });
    const start = range ? Number(range[1]) : 0;
    const end = range && range[2] ? Number(range[2]) : size - 1;
    const headers = { 'Accept-Ranges': 'bytes', 'Content-Type': 'application/octet-stream', 'Content-Length': String(end - start + 1) };
    if (range) response.writeHead(206, { ...headers, 'Content-Range': `bytes ${start}-${end}/${size}` });
    else response.writeHead(200, headers);
    if (request.method === 'HEAD') return void response.end();
    const stallFrom = state.stallFrom;
    if (stallFrom !== null && range && end >= stallFrom) {
      response.flushHeaders();
      return;
    }
    const stream = createReadStream(file, { start, end });
    if (range) stream.on('data', (chunk) => (state.bytesSent += chunk.length));
    stream.pipe(response);
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  state.close = () =>
    new Promise<void>((resolve) => {
      for (const socket of sockets) socket.destroy();
      server.close(() => resolve());
    });
  return state;
}
