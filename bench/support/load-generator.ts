import { randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import { summarize } from '../harness.js';

export interface LoadResult {
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
}

/** One WebSocket connection spoken over its TCP socket by hand (see `drive`). */
export interface Lane {
  socket: Socket;
  /** Bytes of a frame not yet complete. */
  pending: Buffer;
}

/**
 * Opens `count` WebSocket connections with a hand-written upgrade; with `token` each signs
 * in on the upgrade (`Authorization: Bearer`), as the CLI does.
 */
export async function openLanes(url: string, count: number, token?: string): Promise<Lane[]> {
  const lanes: Lane[] = [];
  const batch = 50;
  for (let start = 0; start < count; start += batch) {
    lanes.push(...(await Promise.all(Array.from({ length: Math.min(batch, count - start) }, () => openLane(url, token)))));
  }
  return lanes;
}

function openLane(url: string, token: string | undefined): Promise<Lane> {
  const { hostname, port, pathname } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: hostname, port: Number(port), noDelay: true });
    let head = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf('\r\n\r\n');
      if (end === -1) return;
      socket.off('data', onData);
      socket.off('error', reject);
      // An error is followed by 'close', which fails the load that is running.
      socket.on('error', () => undefined);
      const status = head.subarray(0, head.indexOf('\r\n')).toString();
      if (!status.startsWith('HTTP/1.1 101')) {
        socket.destroy();
        reject(new Error(`upgrade refused by ${url}: ${status}`));
        return;
      }
      resolve({ socket, pending: head.subarray(end + 4) });
    };
    socket.on('data', onData);
    socket.once('error', reject);
    socket.write(
      `GET ${pathname} HTTP/1.1\r\nHost: ${hostname}:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
        `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n` +
        (token === undefined ? '' : `Authorization: Bearer ${token}\r\n`) +
        '\r\n',
    );
  });
}

export function closeLanes(lanes: Lane[]): void {
  for (const lane of lanes) lane.socket.destroy();
}

const TEXT = 0x1;
const CLOSE = 0x8;
const PING = 0x9;
const PONG = 0xa;

/**
 * Drives `lanes` with `depth` pipelined requests each for `durationMs`: the same load for the
 * daemon and for every server it is held against. It frames requests and reads replies by hand
 * (an all-zero mask, so a request's payload is written as is) because through `ws` the load
 * generator cost more per request than the servers it measured and set every figure; the
 * requests made for one read leave in one write.
 */
export async function drive(lanes: Lane[], method: string, depth: number, durationMs: number): Promise<LoadResult> {
  const latencies: number[] = [];
  let completed = 0;
  const stopAt = performance.now() + durationMs;
  const started = performance.now();
  await Promise.all(
    lanes.map(
      (lane) =>
        new Promise<void>((resolve, reject) => {
          const { socket } = lane;
          // Ids run in sequence and at most `depth` are in flight, so a ring holds every send time.
          const sentAt = new Float64Array(1024);
          let nextId = 1;
          let inFlight = 0;
          const request = (): Buffer => {
            const id = nextId++;
            sentAt[id & 1023] = performance.now();
            inFlight++;
            return maskedFrame(TEXT, `{"jsonrpc":"2.0","id":${id},"method":"${method}","params":{}}`);
          };
          const finish = (error?: Error) => {
            socket.off('data', onData);
            socket.off('close', onClose);
            if (error) reject(error);
            else resolve();
          };
          const onClose = () => finish(new Error('the server closed the connection during the load'));
          const onData = (chunk: Buffer) => {
            let data = lane.pending.length ? Buffer.concat([lane.pending, chunk]) : chunk;
            const outgoing: Buffer[] = [];
            for (;;) {
              const frame = readFrame(data);
              if (!frame) break;
              data = data.subarray(frame.end);
              if (frame.opcode === PING) outgoing.push(maskedFrame(PONG, frame.payload.toString('latin1')));
              else if (frame.opcode === CLOSE) return finish(new Error(`the server closed the connection: ${frame.payload.subarray(2).toString()}`));
              else if (frame.opcode === TEXT) {
                const id = envelopeId(frame.payload);
                if (Number.isNaN(id)) continue;
                inFlight--;
                latencies.push(performance.now() - sentAt[id & 1023]!);
                completed++;
                if (performance.now() < stopAt) outgoing.push(request());
              }
            }
            lane.pending = data;
            if (outgoing.length) socket.write(outgoing.length === 1 ? outgoing[0]! : Buffer.concat(outgoing));
            if (inFlight === 0 && performance.now() >= stopAt) finish();
          };
          socket.on('data', onData);
          socket.once('close', onClose);
          socket.write(Buffer.concat(Array.from({ length: depth }, request)));
        }),
    ),
  );
  const elapsed = (performance.now() - started) / 1000;
  const { p50, p99 } = summarize(latencies);
  return { requestsPerSecond: completed / elapsed, p50Ms: p50, p99Ms: p99 };
}

/** A client frame (FIN set, masked with zeros) carrying `text` of at most 64 KiB. */
function maskedFrame(opcode: number, text: string): Buffer {
  const length = Buffer.byteLength(text);
  const header = length < 126 ? 6 : 8;
  const frame = Buffer.allocUnsafe(header + length);
  frame[0] = 0x80 | opcode;
  if (length < 126) frame[1] = 0x80 | length;
  else {
    frame[1] = 0x80 | 126;
    frame.writeUInt16BE(length, 2);
  }
  frame.writeUInt32BE(0, header - 4);
  frame.write(text, header);
  return frame;
}

/** The first whole server frame (unmasked) at the start of `data`, or null. */
function readFrame(data: Buffer): { opcode: number; payload: Buffer; end: number } | null {
  if (data.length < 2) return null;
  let length = data[1]! & 0x7f;
  let start = 2;
  if (length === 126) {
    if (data.length < 4) return null;
    length = data.readUInt16BE(2);
    start = 4;
  } else if (length === 127) {
    if (data.length < 10) return null;
    length = Number(data.readBigUInt64BE(2));
    start = 10;
  }
  const end = start + length;
  if (data.length < end) return null;
  return { opcode: data[0]! & 0x0f, payload: data.subarray(start, end), end };
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
