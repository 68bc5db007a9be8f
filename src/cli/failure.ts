import { CarError } from '../errors.js';
import { ErrorCode, RpcError } from '../protocol/errors.js';
import { inCliWords } from './wire-words.js';

export interface Failure {
  message: string;
  hint?: string;
  exitCode: number;
}

/**
 * The one-line cause, the hint and the exit code of a failed command. A daemon error is told in
 * the CLI's words (commands, not wire methods, and no code); `wire` (under `--verbose` or
 * `--json`) shows it as the daemon sent it, with its JSON-RPC code, for scripts and bug reports.
 */
export function describeFailure(error: Error & { oclif?: { exit?: number } }, commandId: string, { wire }: { wire: boolean }): Failure {
  const words = (text: string) => (wire ? text : inCliWords(text));
  // oclif prefixes the message of an error thrown while parsing a flag ("Parsing --x", a newline, then ours).
  if (error instanceof CarError) return { message: oneLine(words(error.message)), hint: error.hint && words(error.hint), exitCode: error.exitCode };
  if (error instanceof RpcError) {
    const hint =
      typeof error.data?.hint === 'string'
        ? words(error.data.hint)
        : error.code === ErrorCode.AuthRequired
          ? 'check CAR_AUTH_TOKEN / CAR_HOME point at this daemon'
          : undefined;
    return { message: wire ? `${error.message} (code ${error.code})` : words(error.message), hint, exitCode: 1 };
  }
  if (error.oclif?.exit !== undefined) {
    return { message: oneLine(error.message), hint: `see \`car ${commandId.replace(/:/g, ' ')} --help\``, exitCode: error.oclif.exit === 0 ? 0 : 2 };
  }
  return { message: error.message, hint: 'this looks like a bug in car; rerun with CAR_LOG_LEVEL=debug and report it', exitCode: 1 };
}

/**
 * oclif's parse errors span lines ("Parsing --port", the cause, "See more help with --help";
 * or "Missing 1 required arg:", then "name  description"): one line, the cause kept.
 */
function oneLine(message: string): string {
  const lines = message
    .split('\n')
    .map((line) => line.trim().replace(/^(\S+)\s{2,}(.+)$/, '$1 ($2)'))
    .filter((line) => line && !line.startsWith('See more help'));
  return lines.reduce((joined, line) => (joined === '' ? line : `${joined.replace(/:$/, '')}: ${line}`), '');
}
