import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { CarClient } from '../src/client/node.js';
import type { FloodKind } from './flood.js';
import { sleep } from './harness.js';

const FLOOD_JS = fileURLToPath(new URL('./flood.js', import.meta.url));

export interface RunningFlood {
  /** How many connections were open at once when the flood announced itself. */
  readonly open: number;
  stop(): void;
}

/** Starts a flood process against `port` and waits until its connections are open (or 5 s have passed); `reopen` replaces each one the daemon closes. */
export async function startFlood(kind: FloodKind, port: number, count: number, reopen = true): Promise<RunningFlood> {
  const child = spawn(process.execPath, [FLOOD_JS, kind, String(port), String(count), reopen ? 'reopen' : 'once'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const open = await new Promise<number>((resolve) => {
    child.stdout!.once('data', (chunk: Buffer) => resolve(Number(JSON.parse(chunk.toString().split('\n')[0]!).open)));
    child.once('exit', () => resolve(0));
  });
  return { open, stop: () => child.kill('SIGKILL') };
}

export interface SignInFigures {
  attempts: number;
  failed: number;
  /** The slowest successful sign-in, or the timeout when one failed. */
  worstMs: number;
  medianMs: number;
}

/**
 * A client with the token signing in (the Node client, as the CLI does: connect, sign in,
 * handshake) every `everyMs` for `durationMs`; each attempt gives up after `timeoutMs`.
 */
export async function probeSignIns(url: string, token: string, durationMs: number, everyMs = 250, timeoutMs = 5000): Promise<SignInFigures> {
  const times: number[] = [];
  let failed = 0;
  const until = Date.now() + durationMs;
  while (Date.now() < until) {
    const started = performance.now();
    const ok = await signInOnce(url, token, timeoutMs);
    if (ok) times.push(performance.now() - started);
    else failed++;
    await sleep(everyMs);
  }
  const sorted = [...times].sort((a, b) => a - b);
  return {
    attempts: times.length + failed,
    failed,
    worstMs: failed > 0 ? timeoutMs : (sorted.at(-1) ?? 0),
    medianMs: sorted[Math.floor(sorted.length / 2)] ?? NaN,
  };
}

async function signInOnce(url: string, token: string, timeoutMs: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const attempt = CarClient.connect({ url, token, connectTimeoutMs: timeoutMs });
  const timeout = new Promise<null>((resolve) => (timer = setTimeout(() => resolve(null), timeoutMs)));
  const client = await Promise.race([attempt.catch(() => null), timeout]);
  clearTimeout(timer);
  if (client) {
    client.close();
    return true;
  }
  // A late success must not leak its connection.
  void attempt.then(
    (late) => late.close(),
    () => undefined,
  );
  return false;
}
