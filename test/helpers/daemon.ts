import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { once } from 'node:events';
import { CarClient, type ConnectOptions } from '../../src/client/node.js';
import type { LockInfo } from '../../src/daemon/root/lock.js';
import { runPaths } from '../../src/paths.js';
import { RUN_JS, SHARED_MODELS, tempStateRoot } from './paths.js';

export interface DaemonProcess {
  readonly url: string;
  readonly port: number;
  readonly pid: number;
  readonly stateRoot: string;
  readonly env: NodeJS.ProcessEnv;
  readonly child: ChildProcess;
  /** Everything the daemon wrote to stderr so far. */
  logs(): string;
  connect(options?: Omit<ConnectOptions, 'url' | 'stateRoot'>): Promise<CarClient>;
  token(): string;
  hostToken(): string;
  /** SIGTERM and wait for exit; resolves with the exit code. */
  stop(): Promise<number | null>;
  /** SIGKILL and wait. */
  kill(): Promise<void>;
}

export interface StartOptions {
  args?: string[];
  env?: Record<string, string | undefined>;
  stateRoot?: string;
  timeoutMs?: number;
  /** Runs the daemon under this open-files limit (soft and hard), as `ulimit -n` would. */
  openFiles?: number;
  /** Sends the daemon's stdout and stderr to this file (appended), as `car daemon start` does with logs/daemon.log. */
  logFile?: string;
}

/** Environment for a daemon or CLI under test: a throwaway CAR_HOME and the shared tiny models. */
export function testEnv(stateRoot: string, extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    CAR_HOME: stateRoot,
    CAR_MODELS_DIR: SHARED_MODELS,
    CAR_DAEMON_URL: undefined,
    CAR_AUTH_TOKEN: undefined,
    CAR_HOST_TOKEN: undefined,
    ...extra,
  };
  for (const key of Object.keys(env)) if (env[key] === undefined) delete env[key];
  return env;
}

/** Starts a real daemon process (`car daemon start --foreground --port 0`) on a fresh state root. */
export async function startDaemon(options: StartOptions = {}): Promise<DaemonProcess> {
  const stateRoot = options.stateRoot ?? tempStateRoot();
  const env = testEnv(stateRoot, options.env);
  const argv = [RUN_JS, 'daemon', 'start', '--foreground', '--port', '0', ...(options.args ?? [])];
  const [command, args] =
    options.openFiles === undefined ? [process.execPath, argv] : ['prlimit', [`--nofile=${options.openFiles}:${options.openFiles}`, process.execPath, ...argv]];
  let logFd: number | undefined;
  if (options.logFile) {
    mkdirSync(dirname(options.logFile), { recursive: true, mode: 0o700 });
    logFd = openSync(options.logFile, 'a', 0o600);
  }
  const child = spawn(command, args, { env, stdio: logFd === undefined ? ['ignore', 'pipe', 'pipe'] : ['ignore', logFd, logFd] });
  if (logFd !== undefined) closeSync(logFd);
  let piped = '';
  child.stderr?.on('data', (chunk: Buffer) => (piped += chunk.toString()));
  child.stdout?.on('data', (chunk: Buffer) => (piped += chunk.toString()));
  const stderrText = (): string => (options.logFile ? readText(options.logFile) : piped);
  const exited = once(child, 'exit');

  const deadline = Date.now() + (options.timeoutMs ?? 20_000);
  let lock: LockInfo | null = null;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`daemon exited with ${child.exitCode}: ${stderrText()}`);
    if (stderrText().includes('car daemon listening')) {
      lock = JSON.parse(readFileSync(runPaths(stateRoot).lock, 'utf8')) as LockInfo;
      break;
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  if (!lock) {
    child.kill('SIGKILL');
    throw new Error(`daemon did not start: ${stderrText()}`);
  }
  const started = lock;
  return {
    url: started.url,
    port: started.port,
    pid: child.pid!,
    stateRoot,
    env,
    child,
    logs: stderrText,
    connect: (connectOptions = {}) => CarClient.connect({ url: started.url, stateRoot, ...connectOptions }),
    token: () => readFileSync(runPaths(stateRoot).token, 'utf8').trim(),
    hostToken: () => readFileSync(runPaths(stateRoot).hostToken, 'utf8').trim(),
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const [code] = await exited;
      return code as number | null;
    },
    async kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}

function readText(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}
