import { createReadStream, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { basename, join } from 'node:path';

export interface HttpServer {
  url: string;
  /** Requests received so far. */
  requests: number;
  close(): Promise<void>;
}

/** A plain HTTP server on 127.0.0.1 for one test's behaviour; `close` also cuts open connections (a stalled response). */
export async function httpServer(handle: (request: IncomingMessage, response: ServerResponse) => void): Promise<HttpServer> {
  const sockets = new Set<Socket>();
  const state: HttpServer = { url: '', requests: 0, close: async () => undefined };
  const server: Server = createServer((request, response) => {
    state.requests++;
    handle(request, response);
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

export interface ModelServer extends HttpServer {
  /** Every GET's path and Range header, in arrival order. */
  gets: { path: string; range: string | null }[];
  /** While set, a response reaching past this byte sends the bytes before it and then nothing, as a stalled connection would. */
  stallFrom: number | null;
  /** Body bytes sent so far. */
  bytesSent: number;
}

/**
 * Serves the files of `dir` over HTTP on 127.0.0.1 with byte ranges, as a model mirror
 * would: `/<file>` and the Hugging Face layout `/<owner>/<repo>/resolve/<branch>/<file>`.
 */
export async function serveModels(dir: string): Promise<ModelServer> {
  // The handler reads the returned object, so a test's changes to `stallFrom` take effect.
  const server = await httpServer((request, response) => {
    const path = new URL(request.url!, 'http://x').pathname;
    const file = join(dir, basename(decodeURIComponent(path)));
    let size: number;
    try {
      size = statSync(file).size;
    } catch {
      response.writeHead(404).end();
      return;
    }
    const range = /^bytes=(\d+)-(\d*)$/.exec(request.headers.range ?? '');
    if (request.method === 'GET') models.gets.push({ path, range: request.headers.range ?? null });
    const start = range ? Number(range[1]) : 0;
    const end = range && range[2] ? Number(range[2]) : size - 1;
    const headers = { 'Accept-Ranges': 'bytes', 'Content-Type': 'application/octet-stream', 'Content-Length': String(end - start + 1), ETag: `"${size}"` };
    if (range) response.writeHead(206, { ...headers, 'Content-Range': `bytes ${start}-${end}/${size}` });
    else response.writeHead(200, headers);
    if (request.method === 'HEAD') return void response.end();
    const stallFrom = models.stallFrom;
    const stalls = stallFrom !== null && end >= stallFrom;
    const stream = createReadStream(file, { start, end: stalls ? stallFrom - 1 : end });
    stream.on('data', (chunk) => (models.bytesSent += chunk.length));
    if (stalls) stream.on('data', (chunk) => response.write(chunk));
    else stream.pipe(response);
  });
  const models: ModelServer = Object.assign(server, { gets: [], stallFrom: null, bytesSent: 0 });
  return models;
}
