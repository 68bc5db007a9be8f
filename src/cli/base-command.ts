import { setTimeout as sleep } from 'node:timers/promises';
import { Command, Flags, type Interfaces } from '@oclif/core';
import { CarClient, type ConnectOptions } from '../client/node.js';
import type { MethodName, ParamsOf, ResultOf } from '../protocol/methods.js';
import { CarError } from '../errors.js';
import { ErrorCode, RpcError } from '../protocol/errors.js';
import { resolveDaemonUrl } from '../settings.js';
import { stopSpinners } from './render.js';

const RECONNECT_INTERVAL_MS = 250;

/**
 * Every client command: the global `--url` and `--json` flags, a connected client, and
 * one-line errors with a hint and the exit codes of README.md#command-line-conventions (1 failed, 2 usage/config, 3 daemon
 * unreachable). `run()` returns its data: oclif prints it as JSON under `--json`; human output
 * goes through `show`/`this.log`, which stay silent then.
 */
export abstract class CarCommand extends Command {
  static override enableJsonFlag = true;
  static override baseFlags: Interfaces.FlagInput = {
    url: Flags.string({ description: 'daemon URL [default: CAR_DAEMON_URL, the `url` setting, or ws://127.0.0.1:9100]', helpGroup: 'GLOBAL' }),
  };

  private clients: CarClient[] = [];

  /** Connects to the daemon the global `--url` names; parsing it here spares commands without flags of their own a `parse` just for it. */
  protected async connect(options: Omit<ConnectOptions, 'url'> = {}): Promise<CarClient> {
    const client = await CarClient.connect({ url: resolveDaemonUrl(await this.daemonUrlFlag()), ...options });
    this.clients.push(client);
    return client;
  }

  /** The daemon URL given on the command line; a command whose own `--url` means something else overrides this. */
  protected async daemonUrlFlag(): Promise<string | undefined> {
    const { flags } = await this.parse();
    return flags.url as string | undefined;
  }

  /** Connects and makes one call: the whole conversation of most commands. */
  protected async request<M extends MethodName>(method: M, params: ParamsOf<M>, options?: Omit<ConnectOptions, 'url'>): Promise<ResultOf<M>> {
    return (await this.connect(options)).call(method, params);
  }

  /** Prints `human(data)` unless `--json` is on, then hands `data` back for `run()` to return. */
  protected show<T>(data: T, human: (data: T) => string): T {
    if (!this.jsonEnabled()) {
      const text = human(data);
      process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
    }
    return data;
  }

  /**
   * `--follow`: runs `watch` on a fresh connection, and again whenever the daemon goes away
   * (a restart), after a one-line notice, until Ctrl-C. Only the first connection may fail.
   */
  protected async follow(watch: (client: CarClient) => Promise<void>, options?: Omit<ConnectOptions, 'url'>): Promise<void> {
    const interrupt = new AbortController();
    const stop = () => interrupt.abort();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    const interrupted = new Promise<null>((resolve) => interrupt.signal.addEventListener('abort', () => resolve(null)));
    let client: CarClient | null = await this.connect(options);
    while (client) {
      const connection: CarClient = client;
      const closed = new Promise<'closed'>((resolve) => connection.onClose(() => resolve('closed')));
      await watch(connection);
      if ((await Promise.race([interrupted, closed])) === null) return;
      process.stderr.write('the daemon closed the connection (restarted or stopped); reconnecting until Ctrl-C\n');
      client = await this.reconnect(interrupt.signal, options);
    }
  }

  /** Tries again every quarter second until a daemon answers; `null` once interrupted. */
  private async reconnect(signal: AbortSignal, options?: Omit<ConnectOptions, 'url'>): Promise<CarClient | null> {
    while (!signal.aborted) {
      await sleep(RECONNECT_INTERVAL_MS, undefined, { signal }).catch(() => undefined);
      if (signal.aborted) break;
      try {
        return await this.connect(options);
      } catch {
        // still down, or not listening yet
      }
    }
    return null;
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
