import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { RUN_JS } from './paths.js';
import { waitFor } from './wait.js';

/** The byte a terminal sends for Ctrl-C; the pty's line discipline turns it into SIGINT unless a program put the tty in raw mode. */
export const CTRL_C = '\x03';

export interface TerminalRun {
  /** Everything the program drew on the terminal so far (stdout and stderr share it, escapes included). */
  screen(): string;
  /** Types these bytes on the terminal's keyboard. */
  press(keys: string): void;
  /** Waits until the screen matches `pattern`. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<void>;
  /** The exit status (128 + signal number when a signal ended it). */
  exited: Promise<number | null>;
}

/**
 * Runs a shell command line inside a real pseudo-terminal (util-linux `script`, in Debian's
 * essential bsdutils), 100x30 and not CI, so spinners draw and keys go through the tty's
 * line discipline as at a user's terminal: Ctrl-C typed here reaches the program only as
 * the terminal delivers it. `car` in the command line runs this checkout's bin/run.js.
 */
export function runInTerminal(commandLine: string, env: NodeJS.ProcessEnv): TerminalRun {
  const shell = `stty cols 100 rows 30; car() { "${process.execPath}" "${RUN_JS}" "$@"; }; ${commandLine}`;
  // `script` runs the line with $SHELL, else /bin/sh. Dash, non-interactive, re-raises a Ctrl-C it saw once its
  // child exits, so a command that stopped cleanly would read as 130; bash, like a user's interactive shell, does not.
  const terminalEnv: NodeJS.ProcessEnv = { ...env, TERM: 'xterm-256color', SHELL: '/bin/bash' };
  delete terminalEnv.CI;
  const child = spawn('script', ['-q', '-e', '-c', shell, '/dev/null'], { env: terminalEnv, stdio: ['pipe', 'pipe', 'pipe'] });
  let screen = '';
  child.stdout.on('data', (chunk: Buffer) => (screen += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (screen += chunk.toString()));
  // `script` ends the session when its stdin closes; the keyboard stays open until the program exits.
  child.stdin.on('error', () => undefined);
  const exited = once(child, 'exit').then(([code]) => code as number | null);
  return {
    screen: () => screen,
    press: (keys) => void child.stdin.write(keys),
    waitFor: (pattern, timeoutMs = 60_000) =>
      waitFor(() => pattern.test(screen), `${pattern} on the terminal (it shows: ${JSON.stringify(screen.slice(-400))})`, timeoutMs).then(() => undefined),
    exited,
  };
}

/** The screen without colour and cursor escapes; a return to column 1 (a spinner redrawing its line) and a carriage return end a line. */
export const plainText = (screen: string): string =>
  screen
    .replace(/\x1b\[\d*G/g, '\n')
    .replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '')
    .replace(/\r\n/g, '\n')
    .replace(/\r/g, '\n');
