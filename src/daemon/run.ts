import { join } from 'node:path';
import { CarError, ConfigError } from '../errors.js';
import type { DaemonConfig } from '../config/daemon.js';
import { expandStatePath, runPaths } from '../paths.js';
import { VERSION } from '../version.js';
import { AuthPolicy, mintToken, removeTokenFile, writeTokenFile } from './auth/tokens.js';
import { log } from './log.js';
import { LogFile } from './log-file.js';
import { acquireLock, releaseLock, updateLock, type LockInfo } from './root/lock.js';
import { assertOwnedByMe, ensurePrivateDir, stateDirs } from './root/state-root.js';
import { isLoopbackHost } from './server/origin.js';
import { serve } from './server/ws-server.js';
import { ServerState } from './state/server-state.js';

export interface DaemonOptions extends DaemonConfig {
  /** The start flags as given, recorded in the lock for `car daemon restart`. */
  flags: string[];
  /** The `CAR_*` variables the daemon was started with, recorded for `car daemon restart`. */
  env: Record<string, string>;
}

/**
 * Runs the daemon in this process until it is asked to stop (docs/protocol.md#state-root): validate the state
 * root, take the lock, create directories, open the journal, bind, write tokens, run the
 * start hooks, journal `daemon_started`, serve. Resolves when the daemon has stopped.
 */
export async function runDaemon(options: DaemonOptions): Promise<void> {
  const { stateRoot } = options;
  if (options.logLevel) log.configure({ level: options.logLevel });
  if (!isLoopbackHost(options.bind) && !options.allowRemote) {
    throw new ConfigError(
      `refusing to bind to non-loopback address ${options.bind}`,
      'pass --allow-remote as well if you really want the daemon reachable from other hosts',
    );
  }
  const dirs = stateDirs(stateRoot);
  ensurePrivateDir(stateRoot);
  ensurePrivateDir(dirs.run);
  assertOwnedByMe(dirs.run);

  const lock: LockInfo = {
    pid: process.pid,
    port: options.port,
    url: `ws://${options.bind}:${options.port}`,
    version: VERSION,
    started_at: new Date().toISOString(),
    state_root: stateRoot,
    flags: options.flags,
    env: options.env,
  };
  acquireLock(stateRoot, lock);

  const paths = runPaths(stateRoot);
  let state: ServerState | undefined;
  try {
    const journalDir = ensurePrivateDir(options.journalDir ? expandStatePath(options.journalDir, stateRoot) : dirs.journals);
    for (const dir of [dirs.logs, dirs.db, dirs.memory, dirs.meetings]) ensurePrivateDir(dir);
    const logFile = LogFile.forStderr(join(dirs.logs, 'daemon.log'), options.logLimits);
    if (logFile) {
      log.useFile(logFile);
      // Others' writes to stderr (Node's warnings) fail the same way on a full disk; count them, never crash on them.
      process.stderr.on('error', (error) => logFile.health.failed(error));
    }
    if (!options.allowRemote && options.bind !== '127.0.0.1') log.info('binding to a loopback address other than 127.0.0.1', { bind: options.bind });
    if (!options.auth) log.warn('authentication is off: any local program can connect with host rights (--no-auth)');
    if (!isLoopbackHost(options.bind)) log.warn('the daemon is reachable from other hosts; the token is the only guard', { bind: options.bind });

    const auth = options.auth ? AuthPolicy.withTokens(options.authToken ?? mintToken(), mintToken(), paths) : AuthPolicy.disabled();
    state = ServerState.withConfig({ ...options.state, journalDir, stateRoot, auth });

    const server = await serve(state, {
      host: options.bind,
      port: options.port,
      connections: options.connections,
      browserSessionTtlMs: options.browserSessionTtlMs,
    }).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'EADDRINUSE') throw new CarError(`port ${options.port} is in use`, 'pass --port or stop the other process');
      if (error.code === 'EADDRNOTAVAIL')
        throw new ConfigError(`cannot bind to ${options.bind}: no such local address`, 'pass --bind with an address of this machine');
      throw error;
    });
    if (options.auth) {
      const tokens = auth.revealTokens();
      writeTokenFile(paths.token, tokens.token!);
      writeTokenFile(paths.hostToken, tokens.hostToken!);
    }
    updateLock(stateRoot, { ...lock, port: server.port, url: server.url });
    await state.start();
    state.journal.append('daemon_started', null, {
      version: VERSION,
      port: server.port,
      state_root: stateRoot,
      auth_enabled: options.auth,
      permits: state.statusContributions().admission?.permits_total ?? null,
    });
    log.info('car daemon listening', { url: server.url, pid: process.pid, token_file: options.auth ? paths.token : 'none (auth disabled)' });

    const runningState = state;
    await new Promise<void>((resolve) => {
      let stopping = false;
      const stop = (reason: string) => {
        if (stopping) {
          log.warn('second stop signal; exiting now');
          process.exit(1);
        }
        stopping = true;
        log.info('stopping', { reason });
        void (async () => {
          try {
            await server.stopAccepting();
            await runningState.close(reason);
          } catch (error) {
            log.failure('error', 'graceful stop failed part-way; exiting anyway', error);
          } finally {
            resolve();
          }
        })();
      };
      runningState.setShutdownHandler(stop);
      process.on('SIGINT', () => stop('SIGINT'));
      process.on('SIGTERM', () => stop('SIGTERM'));
    });
    log.info('car daemon stopped');
  } finally {
    for (const [what, remove] of [
      ['token file', () => removeTokenFile(paths.token)],
      ['host token file', () => removeTokenFile(paths.hostToken)],
    ] as const)
      bestEffort(what, remove);
    if (state && !state.url) await state.close('start_failed');
    bestEffort('lock', () => releaseLock(stateRoot));
  }
}

/** A read-only disk cannot stop a graceful stop (issue 26): the next start replaces what is left. */
function bestEffort(what: string, step: () => void): void {
  try {
    step();
  } catch (error) {
    log.warn(`could not remove the ${what}; the next start replaces it`, { error: (error as Error).message });
  }
}
