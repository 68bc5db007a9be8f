import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { startDaemon, type DaemonProcess } from '../../test/helpers/daemon.js';

export { startDaemon, type DaemonProcess };

/** Resident set size of a process, from /proc. */
export function rssBytes(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? Number(match[1]) * 1024 : NaN;
}

export interface EchoServer {
  url: string;
  pid: number;
  stop(): void;
}

/** A bare `ws` server that echoes every frame: the baseline the daemon's transport is compared with. */
export async function startEchoServer(): Promise<EchoServer> {
  const script = `
    import { WebSocketServer } from 'ws';
    const wss = new WebSocketServer({ port: 0, host: '127.0.0.1', perMessageDeflate: false, clientTracking: false });
    wss.on('connection', (ws) => ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary })));
    wss.on('listening', () => console.log(wss.address().port));
  `;
  const child: ChildProcess = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'], cwd: process.cwd() });
  const port = await new Promise<number>((resolve) => child.stdout!.once('data', (chunk: Buffer) => resolve(Number(chunk.toString().trim()))));
  return { url: `ws://127.0.0.1:${port}`, pid: child.pid!, stop: () => child.kill('SIGKILL') };
}
