import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface PeerRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: any;
}

export type PeerHandler = (request: PeerRequest, response: ServerResponse) => void;

export interface A2aPeer {
  url: string;
  requests: PeerRequest[];
  /** Replaces how the peer answers (default: a JSON-RPC result echoing the task). */
  answer(handler: PeerHandler): void;
  close(): Promise<void>;
}

/** A local HTTP server standing in for a remote A2A agent (the one fake the rules allow). */
export async function startPeer(path = '/a2a'): Promise<A2aPeer> {
  const requests: PeerRequest[] = [];
  let handler: PeerHandler = (request, response) =>
    json(response, 200, { jsonrpc: '2.0', id: request.body?.id ?? null, result: { kind: 'task', id: 'task-1', status: { state: 'working' } } });
  const server = createServer((req, res) => {
    let text = '';
    req.on('data', (chunk: Buffer) => (text += chunk.toString()));
    req.on('end', () => {
      let body: unknown = text;
      try {
        body = JSON.parse(text);
      } catch {
        // kept as text
      }
      const request = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body };
      requests.push(request);
      handler(request, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}${path}`,
    requests,
    answer: (next) => void (handler = next),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export function json(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json' });
  response.end(JSON.stringify(body));
}
