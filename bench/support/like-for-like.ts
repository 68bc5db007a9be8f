import { atLeast, atMost, reported, summarize, type BenchRow } from '../harness.js';
import { closeLanes, drive, openLanes, type Lane, type LoadResult } from './load-generator.js';
import { PEER_KINDS, startPeer, type PeerKind, type PeerServer } from './peers.js';
import { allCpus, canPin, pin } from './pinning.js';
import { cpuSeconds, type DaemonProcess } from './processes.js';

/** A constant-size method, so the comparison measures the RPC path rather than a growing reply. */
export const P1_METHOD = 'admission.status';
export const P1_SHAPES = [
  { connections: 1, depth: 8 },
  { connections: 64, depth: 8 },
  { connections: 256, depth: 4 },
] as const;
const ROUNDS = 3;
const RUN_MS = 1500;
const WARMUP_MS = 500;

type Contender = 'car' | PeerKind;
interface Measured {
  requestsPerSecond: number;
  p99Ms: number;
  /** Server CPU per request over every round. */
  cpuMicros: number;
}

/**
 * P1 like-for-like: the daemon's `admission.status` against the bare `ws` floor and the
 * JSON-RPC libraries serving a reply of the same bytes. Servers on core 0, this process
 * (the load generator) on core 1; rounds interleave the contenders and each figure is the
 * median of its rounds.
 */
export async function likeForLike(daemon: DaemonProcess): Promise<BenchRow[]> {
  const client = await daemon.connect();
  const result = await client.call(P1_METHOD, {});
  client.close();
  const peers = await Promise.all(PEER_KINDS.map((kind) => startPeer(kind, P1_METHOD, result)));
  const servers: { name: Contender; pid: number; url: string; token?: string }[] = [
    { name: 'car', pid: daemon.pid, url: daemon.url, token: daemon.token() },
    ...peers.map((peer: PeerServer) => ({ name: peer.kind, pid: peer.pid, url: peer.url })),
  ];
  for (const server of servers) pin(server.pid, '0');
  pin(process.pid, '1');
  const rows: BenchRow[] = [];
  try {
    for (const { connections, depth } of P1_SHAPES) {
      const shape = `${connections} conn × ${depth}`;
      const lanesOf = new Map<Contender, Lane[]>();
      for (const server of servers) lanesOf.set(server.name, await openLanes(server.url, connections, server.token));
      const runs = new Map<Contender, { load: LoadResult; cpu: number; requests: number }[]>(servers.map((s) => [s.name, []]));
      for (let round = 0; round < ROUNDS; round++) {
        for (const server of servers) {
          const lanes = lanesOf.get(server.name)!;
          if (round === 0) await drive(lanes, P1_METHOD, depth, WARMUP_MS);
          const cpuBefore = cpuSeconds(server.pid);
          const load = await drive(lanes, P1_METHOD, depth, RUN_MS);
          runs.get(server.name)!.push({ load, cpu: cpuSeconds(server.pid) - cpuBefore, requests: load.requestsPerSecond * (RUN_MS / 1000) });
        }
      }
      for (const lanes of lanesOf.values()) closeLanes(lanes);

      const measured = new Map<Contender, Measured>();
      for (const [name, list] of runs) {
        const cpu = list.reduce((sum, run) => sum + run.cpu, 0);
        const requests = list.reduce((sum, run) => sum + run.requests, 0);
        measured.set(name, {
          requestsPerSecond: median(list.map((r) => r.load.requestsPerSecond)),
          p99Ms: median(list.map((r) => r.load.p99Ms)),
          cpuMicros: (cpu / requests) * 1e6,
        });
      }
      const car = measured.get('car')!;
      const floor = measured.get('bare-ws')!;
      const [bestName, best] = [...measured]
        .filter(([name]) => name !== 'car' && name !== 'bare-ws')
        .sort((a, b) => b[1].requestsPerSecond - a[1].requestsPerSecond)[0]!;
      rows.push(atLeast(`P1 ${P1_METHOD} req/s, ${shape}, vs best library (${bestName})`, 'req/s', car.requestsPerSecond, best.requestsPerSecond, 1));
      rows.push(atMost(`P1 p99, ${shape}, vs ${bestName}`, 'ms', car.p99Ms, best.p99Ms, 1));
      rows.push(atLeast(`P1 req/s, ${shape}, vs bare ws floor`, 'req/s', car.requestsPerSecond, floor.requestsPerSecond, 0.7));
      rows.push(atMost(`P1 p99, ${shape}, vs bare ws floor`, 'ms', car.p99Ms, floor.p99Ms, 2));
      rows.push(reported(`P1 server CPU per request, ${shape}, vs ${bestName}`, 'µs', car.cpuMicros, best.cpuMicros));
      for (const [name, figures] of measured) {
        if (name !== 'car' && name !== 'bare-ws')
          rows.push(
            reported(
              `P1 ${name} req/s, ${shape} (p99 ${figures.p99Ms.toFixed(1)} ms), vs bare ws floor`,
              'req/s',
              figures.requestsPerSecond,
              floor.requestsPerSecond,
            ),
          );
      }
    }
  } finally {
    for (const peer of peers) peer.stop();
    pin(process.pid, allCpus);
    pin(daemon.pid, allCpus);
  }
  if (!canPin) process.stderr.write('  (taskset or a second core missing: P1 ran unpinned)\n');
  return rows;
}

const median = (values: number[]): number => summarize(values).p50;
