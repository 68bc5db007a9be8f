import { setTimeout as sleep } from 'node:timers/promises';
import { Command, Flags, type Interfaces } from '@oclif/core';
import { CarClient, type ConnectOptions } from '../client/node.js';
import type { MethodName, ParamsOf, ResultOf } from '../protocol/methods.js';
import { environment } from '../config/environment.js';
import { DaemonUnreachableError } from '../errors.js';
import { resolveStateRoot } from '../paths.js';
import { resolveDaemonUrl } from '../settings.js';
import { describeFailure } from './failure.js';
import { INTERRUPTED_EXIT, listenForInterrupt, type Interruption } from './interrupt.js';
import { stopSpinners } from './render.js';

const RECONNECT_INTERVAL_MS = 250;

const verboseFlag = Flags.boolean({ description: 'errors as the daemon words them: the method and the JSON-RPC error code', helpGroup: 'GLOBAL' });

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
    verbose: verboseFlag,
  };

  private clients: CarClient[] = [];
  private interruption: Interruption | null = null;

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

  /**
   * `online()`, or `offline()` when no daemon answers and none was named (`--url`,
   * `CAR_DAEMON_URL`), after a notice on stderr: for reads this machine's state root can answer.
   */
  protected async orOffline<T>(online: () => Promise<T>, offline: () => Promise<T>): Promise<T> {
    try {
      return await online();
    } catch (error) {
      if (!(error instanceof DaemonUnreachableError) || (await this.daemonUrlFlag()) !== undefined || environment().daemonUrl !== undefined) throw error;
      process.stderr.write(`${error.message}; reading ${resolveStateRoot()} directly\n`);
      return offline();
    }
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
   * Aborts on Ctrl-C (or SIGTERM) from now until the command ends, so long work stops and the
   * command still prints its result; a second Ctrl-C exits at once (see cli/interrupt.ts).
   */
  protected interrupted(): AbortSignal {
    this.interruption ??= listenForInterrupt();
    return this.interruption.signal;
  }

  /**
   * `--follow`: runs `watch` on a fresh connection, and again whenever the daemon goes away
   * (a restart), after a one-line notice, until Ctrl-C. Only the first connection may fail.
   */
  protected async follow(watch: (client: CarClient) => Promise<void>, options?: Omit<ConnectOptions, 'url'>): Promise<void> {
    const signal = this.interrupted();
    const interrupted = new Promise<null>((resolve) => (signal.aborted ? resolve(null) : signal.addEventListener('abort', () => resolve(null))));
    let client: CarClient | null = await this.connect(options);
    while (client) {
      const connection: CarClient = client;
      const closed = new Promise<'closed'>((resolve) => connection.onClose(() => resolve('closed')));
      await watch(connection);
      if ((await Promise.race([interrupted, closed])) === null) return;
      process.stderr.write('the daemon closed the connection (restarted or stopped); reconnecting until Ctrl-C\n');
      client = await this.reconnect(signal, options);
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
    this.interruption?.release();
    for (const client of this.clients) client.close();
    await super.finally(error);
  }

  protected override async catch(error: Error & { oclif?: { exit?: number } }): Promise<void> {
    stopSpinners();
    if (this.interruption && error === this.interruption.signal.reason) {
      // Work that Ctrl-C cut short (a call cancelled on the daemon): the status says so, the user knows why.
      process.stderr.write('interrupted\n');
      process.exitCode = INTERRUPTED_EXIT;
      return;
    }
    const { message, hint, exitCode } = describeFailure(error, this.id ?? '', { wire: this.jsonEnabled() || this.argv.includes('--verbose') });
    process.stderr.write(`Error: ${message}\n${hint ? `Hint: ${hint}\n` : ''}`);
    process.exitCode = exitCode;
  }
}

/** A command that acts on this machine's state root, not through a daemon URL: the same errors, no `--url`. */
export abstract class LocalCommand extends CarCommand {
  static override baseFlags: Interfaces.FlagInput = { verbose: verboseFlag };
}
