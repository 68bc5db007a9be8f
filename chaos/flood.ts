import { connect, type Socket } from 'node:net';
import { randomBytes } from 'node:crypto';

/**
 * A flood of connections that never sign in, run as its own process (`node flood.js <kind>
 * <port> <count> [once]`) so the daemon's latencies are measured, not this one's. It opens
 * `count` connections and, unless `once`, reopens each one as the daemon closes it, until
 * killed; it prints `{"open":n}` once all `count` have been open at the same time.
 */
export type FloodKind = 'silent' | 'http-keepalive' | 'ws-unsigned' | 'big-frame';

const UPGRADE = (port: number) =>
  `GET / HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\n\r\n`;

/** The header of a masked binary frame announcing `length` payload bytes, which never all come. */
function bigFrameHeader(length: number): Buffer {
  const header = Buffer.alloc(14);
  header[0] = 0x82;
  header[1] = 0x80 | 127;
  header.writeBigUInt64BE(BigInt(length), 2);
  randomBytes(4).copy(header, 10);
  return header;
}

/** What one connection of each kind does once connected. */
const BEHAVIOUR: Record<FloodKind, (socket: Socket, port: number) => void> = {
  silent: () => undefined,
  'ws-unsigned': (socket, port) => socket.write(UPGRADE(port)),
  'http-keepalive': (socket, port) => {
    socket.write(`GET /missing HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nConnection: keep-alive\r\n\r\n`);
    // The second request trickles in a byte a second, so it is never complete.
    const second = `GET /missing HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nX-Slow: ${'a'.repeat(200)}`;
    let sent = 0;
    socket.once('data', () => {
      const timer = setInterval(() => (sent < second.length && !socket.destroyed ? socket.write(second[sent++]!) : clearInterval(timer)), 1000);
      socket.once('close', () => clearInterval(timer));
    });
  },
  'big-frame': (socket, port) => {
    socket.write(UPGRADE(port));
    socket.once('data', () => {
      const length = 8 * 1024 * 1024 - 16;
      socket.write(bigFrameHeader(length));
      // All but the last byte, in 64 KiB writes: the frame stays unfinished.
      const chunk = randomBytes(64 * 1024);
      let left = length - 1;
      const pump = (): void => {
        while (left > 0 && !socket.destroyed) {
          const piece = chunk.subarray(0, Math.min(chunk.length, left));
          left -= piece.length;
          if (!socket.write(piece)) return void socket.once('drain', pump);
        }
      };
      pump();
    });
  },
};

export function flood(kind: FloodKind, port: number, count: number, reopen: boolean): void {
  const open = new Set<Socket>();
  let announced = false;
  const openOne = (): void => {
    const socket = connect(port, '127.0.0.1');
    socket.setNoDelay(true);
    socket.on('error', () => undefined);
    socket.once('connect', () => {
      open.add(socket);
      BEHAVIOUR[kind](socket, port);
      if (!announced && open.size >= count) {
        announced = true;
        process.stdout.write(JSON.stringify({ open: open.size }) + '\n');
      }
    });
    socket.once('close', () => {
      open.delete(socket);
      if (reopen) setImmediate(openOne);
    });
  };
  for (let index = 0; index < count; index++) openOne();
  // A connection refused outright never opens; say how many did once the burst has settled.
  setTimeout(() => {
    if (!announced) {
      announced = true;
      process.stdout.write(JSON.stringify({ open: open.size }) + '\n');
    }
  }, 5000);
}

if (process.argv[1]?.endsWith('flood.js')) {
  const [kind, port, count, once] = process.argv.slice(2);
  flood(kind as FloodKind, Number(port), Number(count), once !== 'once');
}
