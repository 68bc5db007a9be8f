import { readFileSync } from 'node:fs';
import Database from 'better-sqlite3';
import { JSONRPCServer } from 'json-rpc-2.0';
import { Server as RpcWebSocketsServer } from 'rpc-websockets';
import { WebSocketServer, type WebSocket } from 'ws';
import { rawQueryRunner } from './memory-workload.js';

/**
 * The servers a Node developer would otherwise pick, each answering `method` with the same
 * result (read from a file, so every reply has the daemon's size) on the same `ws` with
 * per-message deflate off. Run as its own process: `node peer-server.js <kind> <method>
 * <result.json>`; prints the port once listening. `fts5-ws` is the bare server answering
 * `memory.query` with the engine's own statements on the file and namespace its JSON names.
 */
const [kind, method, resultFile] = process.argv.slice(2) as [string, string, string];
const result: unknown = JSON.parse(readFileSync(resultFile, 'utf8'));
const wsOptions = { port: 0, host: '127.0.0.1', perMessageDeflate: false } as const;

const announce = (wss: WebSocketServer) => wss.on('listening', () => process.stdout.write(`${(wss.address() as { port: number }).port}\n`));

switch (kind) {
  case 'bare-ws': {
    // The floor: parse the request, reply with its id, nothing else.
    const wss = new WebSocketServer({ ...wsOptions, clientTracking: false });
    wss.on('connection', (ws: WebSocket) =>
      ws.on('message', (data: Buffer) => {
        const request = JSON.parse(data.toString()) as { id: number };
        ws.send(JSON.stringify({ jsonrpc: '2.0', id: request.id, result }));
      }),
    );
    announce(wss);
    break;
  }
  case 'rpc-websockets': {
    const server = new RpcWebSocketsServer(wsOptions);
    server.register(method, () => result);
    announce(server.wss);
    break;
  }
  case 'json-rpc-2.0': {
    const rpc = new JSONRPCServer();
    rpc.addMethod(method, () => result);
    const wss = new WebSocketServer({ ...wsOptions, clientTracking: false });
    wss.on('connection', (ws: WebSocket) =>
      ws.on('message', (data: Buffer) => {
        void rpc.receiveJSON(data.toString()).then((reply) => reply && ws.send(JSON.stringify(reply)));
      }),
    );
    announce(wss);
    break;
  }
  case 'fts5-ws': {
    const { file, namespace } = result as { file: string; namespace: string };
    const query = rawQueryRunner(new Database(file, { readonly: true }), namespace);
    const wss = new WebSocketServer({ ...wsOptions, clientTracking: false });
    wss.on('connection', (ws: WebSocket) =>
      ws.on('message', (data: Buffer) => {
        const request = JSON.parse(data.toString()) as { id: number; params: { query: string } };
        const hits = (query(request.params.query) as Record<string, unknown>[]).map(({ id, subject, body, kind, confidence, score }) => ({
          id,
          subject,
          body,
          kind,
          confidence,
          score,
        }));
        ws.send(JSON.stringify({ jsonrpc: '2.0', id: request.id, result: hits }));
      }),
    );
    announce(wss);
    break;
  }
  default:
    throw new Error(`unknown peer kind '${kind}'; one of bare-ws, rpc-websockets, json-rpc-2.0, fts5-ws`);
}
