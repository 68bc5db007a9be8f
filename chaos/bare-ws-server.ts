import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';
import { PRE_AUTH_LIMITS } from '../src/daemon/server/frame-limits.js';

/**
 * The floor for R9: an HTTP server upgrading to a bare `ws` server with the daemon's
 * before-sign-in frame limits, dropping a connection whose frame is over them as the daemon
 * does, and nothing else. Run as its own process (`node bare-ws-server.js`); prints its port.
 */
const http = createServer();
const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false, clientTracking: false, ...PRE_AUTH_LIMITS });
http.on('upgrade', (req, socket, head) =>
  wss.handleUpgrade(req, socket, head, (ws) => {
    ws.on('message', () => undefined);
    ws.on('error', () => process.nextTick(() => ws.terminate()));
  }),
);
http.listen(0, '127.0.0.1', () => process.stdout.write(`${(http.address() as AddressInfo).port}\n`));
