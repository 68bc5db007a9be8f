import { startDaemon } from '../../test/helpers/daemon.js';
import { bounded, probe, RpcSocket, sleep, type ChaosScenario } from '../harness.js';

/** Fresh connections fuzzed at once before sign-in. */
const PRE_AUTH_POOL = 8;
/** How long a fresh connection waits for the daemon to close it before giving up on it. */
const PRE_AUTH_CLOSE_WAIT_MS = 1000;

const METHODS = [
  'sessions.list',
  'host.notify',
  'memory.add_fact',
  'memory.query',
  'voice.transcribe_stream.start',
  'a2ui.apply',
  'meeting.list',
  'infer',
  'no.such.method',
  '',
];

/** A deterministic generator, so a failing run can be repeated frame for frame. */
function generator(seed: number) {
  let state = seed;
  return () => (state = (state * 1103515245 + 12345) % 2147483648) / 2147483648;
}

/** One malformed, wrong-typed, deeply nested, binary or invalid-UTF-8 frame. */
function fuzzFrame(random: () => number, index: number): { data: string | Buffer; binary: boolean } {
  const method = METHODS[Math.floor(random() * METHODS.length)]!;
  const deep = (depth: number) => '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);
  switch (index % 10) {
    case 0:
      return { data: '{"jsonrpc":"2.0","id":' + index + ',"method":', binary: false };
    case 1:
      return { data: JSON.stringify({ jsonrpc: '2.0', id: index, method, params: [1, 'x', null] }), binary: false };
    case 2:
      return { data: `{"jsonrpc":"2.0","id":${index},"method":"${method}","params":${deep(100 + Math.floor(random() * 4000))}}`, binary: false };
    case 3:
      return {
        data: JSON.stringify({ jsonrpc: '2.0', id: index, method, params: { text: 7, limit: 'x', envelope: [], payload: { x: [[[]]] } } }),
        binary: false,
      };
    case 4:
      return { data: Buffer.from([0x01, ...Array.from({ length: 40 }, () => Math.floor(random() * 256))]), binary: true };
    case 5:
      return {
        data: Buffer.concat([Buffer.from('{"jsonrpc":"2.0","id":1,"method":"'), Buffer.from([0xc3, 0x28, 0xff, 0xfe]), Buffer.from('"}')]),
        binary: false,
      };
    case 6:
      return { data: `{"jsonrpc":"2.0","id":1e400,"method":"${method}"}`, binary: false };
    case 7:
      return {
        data: JSON.stringify({ jsonrpc: '2.0', id: index, method: method + '\n2026-01-01T00:00:00.000Z ERROR FORGED'.repeat(1 + Math.floor(random() * 50)) }),
        binary: false,
      };
    case 8:
      return { data: JSON.stringify({ jsonrpc: '2.0', id: index, method, params: { big: 'x'.repeat(Math.floor(random() * 200_000)) } }), binary: false };
    default:
      return { data: JSON.stringify([{ jsonrpc: '2.0', id: index, method }]), binary: false };
  }
}

/** R1: fuzz frames before and after sign-in; the daemon never crashes and a well-behaved client stays served. */
export const fuzz: ChaosScenario = {
  id: 'R1',
  name: 'fuzz',
  async run(scale) {
    const frames = scale === 'full' ? 100_000 : 2_000;
    const daemon = await startDaemon();
    const random = generator(12);
    let sent = 0;
    let oversized = 0;
    try {
      const watcher = await RpcSocket.signedIn(daemon.url, daemon.token());
      const latency = probe(watcher);
      let signedIn: RpcSocket | null = null;
      // Pre-auth connections run beside the signed-in stream, a bounded few at a time (well under
      // the daemon's cap of 64 not signed in), so waiting for the daemon to close one costs no frames.
      const preAuthInFlight = new Set<Promise<void>>();
      const fuzzBeforeSignIn = async (batchFrames: { data: string | Buffer; binary: boolean }[]) => {
        const sock = await RpcSocket.open(daemon.url).catch(() => null);
        if (!sock) return;
        for (const frame of batchFrames) sock.send(frame.data, frame.binary);
        sent += batchFrames.length;
        await Promise.race([sock.closed, sleep(PRE_AUTH_CLOSE_WAIT_MS)]);
        sock.close();
      };
      // Batches of ten frames: one batch in four on a fresh connection that never signs in.
      await bounded(Math.ceil(frames / 10), scale === 'full' ? 150_000 : 25_000, async (batch) => {
        const batchFrames = Array.from({ length: 10 }, (_, offset) => fuzzFrame(random, batch * 10 + offset));
        if (batch % 4 === 0) {
          if (preAuthInFlight.size >= PRE_AUTH_POOL) await Promise.race(preAuthInFlight);
          const connection = fuzzBeforeSignIn(batchFrames).finally(() => preAuthInFlight.delete(connection));
          preAuthInFlight.add(connection);
          return;
        }
        if (!signedIn || signedIn.ws.readyState !== signedIn.ws.OPEN) signedIn = await RpcSocket.signedIn(daemon.url, daemon.token());
        // Invalid UTF-8 ends a connection (1007), so a signed-in one gets it only now and then; fresh ones get it every batch.
        if (batch % 25 !== 2) batchFrames[5] = fuzzFrame(random, 4);
        if (batch % 500 === 1) {
          oversized++;
          batchFrames[0] = { data: 'x'.repeat(9 * 1024 * 1024), binary: false };
        }
        for (const frame of batchFrames) signedIn.send(frame.data, frame.binary);
        sent += batchFrames.length;
        // Every so often wait for an answer, so the frames do not just pile up in the socket.
        if (batch % 10 === 1) await signedIn.call('sessions.list', {}, 10_000);
      });
      await Promise.all(preAuthInFlight);
      (signedIn as RpcSocket | null)?.close();
      const served = await latency.stop();
      const alive = daemon.child.exitCode === null && daemon.child.signalCode === null && (await watcher.call('sessions.list', {})).result !== undefined;
      watcher.close();
      const ok = alive && sent >= frames && served.failures === 0 && served.p99 <= 2000;
      return {
        id: 'R1',
        scenario: 'fuzz',
        figure: `${sent} frames (${oversized} over 8 MiB), ${alive ? 0 : 1} crashes, client p99 ${served.p99.toFixed(0)} ms, ${served.failures} failed calls`,
        bar: `≥ ${frames} frames, 0 crashes, p99 ≤ 2000 ms`,
        ok,
      };
    } finally {
      await daemon.stop();
    }
  },
};
