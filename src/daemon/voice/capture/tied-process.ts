import { execFile, spawn, type ChildProcessByStdio } from 'node:child_process';
import type { Readable } from 'node:stream';

export type ToolProcess = ChildProcessByStdio<null, Readable, Readable>;

let setprivWorks: Promise<boolean> | null = null;

/**
 * Starts a sound-server tool that dies with the daemon, even when the daemon is killed with
 * SIGKILL: util-linux's `setpriv --pdeathsig KILL` sets the child's parent-death signal and
 * then runs the tool in its place (same pid). Where setpriv is missing the tool still ends
 * at its next write into the closed pipe (SIGPIPE), which a recording does every few ms.
 */
export async function spawnTied(command: string, args: readonly string[], env: NodeJS.ProcessEnv): Promise<ToolProcess> {
  setprivWorks ??= new Promise((resolve) => execFile('setpriv', ['--pdeathsig', 'KILL', '--', 'true'], (error) => resolve(error === null)));
  const [file, argv] = (await setprivWorks) ? ['setpriv', ['--pdeathsig', 'KILL', '--', command, ...args]] : [command, [...args]];
  return spawn(file, argv, { env, stdio: ['ignore', 'pipe', 'pipe'] });
}
