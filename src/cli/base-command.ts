import { Command, Flags, type Interfaces } from '@oclif/core';
import { CarClient, type ConnectOptions } from '../client/node.js';
import { CarError } from '../errors.js';
import { ErrorCode, RpcError } from '../protocol/errors.js';
import { resolveDaemonUrl } from '../settings.js';
import { stopSpinners } from './render.js';

/**
 * Every client command: the global `--url` flag, a connected client, and one-line errors
 * with a hint and the exit codes of §18.2 (1 failed, 2 usage/config, 3 daemon unreachable).
 */
export abstract class CarCommand extends Command {
  static override baseFlags: Interfaces.FlagInput = {
    url: Flags.string({ description: 'daemon URL [default: CAR_DAEMON_URL, the `url` setting, or ws://127.0.0.1:9100]', helpGroup: 'GLOBAL' }),
  };

  private clients: CarClient[] = [];

  protected async connect(flags: Record<string, unknown>, options: Omit<ConnectOptions, 'url'> = {}): Promise<CarClient> {
    const client = await CarClient.connect({ url: resolveDaemonUrl(flags.url as string | undefined), ...options });
    this.clients.push(client);
    return client;
  }

  protected printJson(value: unknown): void {
    process.stdout.write(JSON.stringify(value, null, 2) + '\n');
  }

  protected override async finally(error: Error | undefined): Promise<void> {
    stopSpinners();
    for (const client of this.clients) client.close();
    await super.finally(error);
  }

  protected override async catch(error: Error & { oclif?: { exit?: number } }): Promise<void> {
    stopSpinners();
    const { message, hint, exitCode } = describeFailure(error, this.id ?? '');
    process.stderr.write(`Error: ${message}\n${hint ? `Hint: ${hint}\n` : ''}`);
    process.exitCode = exitCode;
  }
}

/** A command that acts on this machine's state root, not through a daemon URL: the same errors, no `--url`. */
export abstract class LocalCommand extends CarCommand {
  static override baseFlags = {};
}

function describeFailure(error: Error & { oclif?: { exit?: number }; code?: string }, commandId: string): { message: string; hint?: string; exitCode: number } {
  // oclif prefixes the message of an error thrown while parsing a flag ("Parsing --x", a newline, then ours).
  if (error instanceof CarError) return { message: oneLine(error.message), hint: error.hint, exitCode: error.exitCode };
  if (error instanceof RpcError) {
    const hint = typeof error.data?.hint === 'string' ? error.data.hint : error.code === ErrorCode.AuthRequired ? 'check CAR_AUTH_TOKEN / CAR_HOME point at this daemon' : undefined;
    return { message: `${error.message} (code ${error.code})`, hint, exitCode: 1 };
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
