import { resolve } from 'node:path';
import { ConfigError } from '../errors.js';
import type { LogLimits } from '../daemon/log-file.js';
import type { ConnectionLimits } from '../daemon/server/connection-gate.js';
import type { ServerStateConfig } from '../daemon/state/server-state.js';
import type { CarEnvironment } from './environment.js';

/** `car daemon start`'s flags, as parsed by oclif. */
export interface DaemonFlags {
  port?: number;
  bind: string;
  allowRemote: boolean;
  auth: boolean;
  authToken?: string;
  approvals: boolean;
  journalDir?: string;
  modelsDir?: string;
}

/** How the daemon process runs: where it listens and what it writes, beside the state it serves. */
export interface DaemonConfig {
  stateRoot: string;
  port: number;
  bind: string;
  allowRemote: boolean;
  auth: boolean;
  /** The token to install; minted when absent. */
  authToken?: string;
  journalDir?: string;
  logLevel?: LogLevel;
  /** Rotation of a background daemon's `logs/daemon.log`; defaults in the log file. */
  logLimits: Partial<LogLimits>;
  /** Caps on open and not-yet-signed-in connections (docs/protocol.md#connection-limits); defaults in the connection gate. */
  connections: Partial<ConnectionLimits>;
  /** How long the browser UI's session cookie lasts; 12 h in the server unless set. */
  browserSessionTtlMs?: number;
  /** Everything `ServerState` takes besides the journal, the state root and the auth policy. */
  state: Omit<ServerStateConfig, 'journalDir' | 'stateRoot' | 'auth'>;
}

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
const LOG_LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error'];
const DEFAULT_PORT = 9100;

/**
 * The daemon's whole configuration, from its flags, then `CAR_*` variables, then the
 * settings file (`port`, `models_dir`), then defaults. Invalid variables refuse the start
 * (exit 2) here, before anything is created.
 */
export function daemonConfig(flags: DaemonFlags, env: CarEnvironment, settings: { port?: number; modelsDir?: string }, stateRoot: string): DaemonConfig {
  const modelsDir = flags.modelsDir ?? env.modelsDir ?? settings.modelsDir;
  return {
    stateRoot,
    port: flags.port ?? settings.port ?? DEFAULT_PORT,
    bind: flags.bind,
    allowRemote: flags.allowRemote,
    auth: flags.auth && !env.noAuth,
    authToken: flags.authToken ?? env.authToken,
    journalDir: flags.journalDir,
    logLevel: logLevel(env.logLevel),
    logLimits: {
      rotateBytes: mebibytes('CAR_LOG_ROTATE_MIB', env.logRotateMib, 1, 'unset it for 16 MiB'),
      keepFiles: whole('CAR_LOG_KEEP_FILES', env.logKeepFiles, 0, 'rotated log files', 'unset it for 4'),
    },
    connections: {
      maxConnections: wholeCount('CAR_MAX_CONNECTIONS', env.maxConnections, 'unset it for a quarter of the open-files limit'),
      maxPreAuthConnections: wholeCount('CAR_MAX_PREAUTH_CONNECTIONS', env.maxPreAuthConnections, 'unset it for the default of 64'),
    },
    browserSessionTtlMs: wholeSeconds('CAR_UI_SESSION_TTL', env.uiSessionTtl, 1, 'unset it for the 12-hour default (43200)'),
    state: {
      handlerTimeoutMs: wholeSeconds('CAR_HANDLER_TIMEOUT', env.handlerTimeout, 1, 'unset it for the 30-minute default'),
      decodeTimeoutMs: wholeSeconds('CAR_LOCAL_DECODE_TIMEOUT_SECS', env.localDecodeTimeout, 0, 'unset it for the 300-second default'),
      pulls: {
        maxBytes: byteSize('CAR_PULL_MAX_BYTES', env.pullMaxBytes),
        stallMs: wholeSeconds('CAR_PULL_STALL_SECS', env.pullStallSecs, 1, 'unset it for the 30-second default'),
        allowClients: env.pullAllowClients,
      },
      remoteTimeoutMs: wholeSeconds('CAR_REMOTE_TIMEOUT_SECS', env.remoteTimeoutSecs, 1, 'unset it for the 120-second default'),
      toolTimeoutMs: wholeSeconds('CAR_TOOL_TIMEOUT', env.toolTimeout, 1, 'unset it for the 300-second default'),
      admissionOverride: env.inferenceMaxConcurrent,
      // Relative to the directory the daemon was started in (docs/protocol.md#environment).
      modelsDir: modelsDir === undefined ? undefined : resolve(modelsDir),
      voice: {
        modelDir: env.sphinxModelDir,
        idleDecoders: whole('CAR_SPHINX_IDLE_DECODERS', env.sphinxIdleDecoders, 0, 'decoders', 'unset it for one per core (at most 2)'),
      },
      soundServer: { pulseServer: env.pulseServer, runtimeDir: env.runtimeDir },
      approvalGate: { enabled: flags.approvals && !env.noApprovals },
      journalLimits: {
        rotateBytes: mebibytes('CAR_JOURNAL_ROTATE_MIB', env.journalRotateMib, 1, 'unset it for 64 MiB'),
        keepBytes: mebibytes('CAR_JOURNAL_KEEP_MIB', env.journalKeepMib, 1, 'unset it for 512 MiB'),
      },
    },
  };
}

/**
 * The variables that reproduce this daemon's configuration (never tokens), recorded in
 * its lock so `car daemon restart` from any shell starts the same daemon: `CAR_MODELS_DIR`
 * as an absolute path, auth and approvals turned off by variable, and the tuning variables.
 */
export function daemonVariables(env: CarEnvironment): Record<string, string> {
  const entries: [string, string | undefined][] = [
    // The variable only: a `--models-dir` is repeated with the flags, and the `models_dir` setting is read afresh, so a changed setting counts.
    ['CAR_MODELS_DIR', env.modelsDir === undefined ? undefined : resolve(env.modelsDir)],
    ['CAR_NO_AUTH', env.noAuth ? '1' : undefined],
    ['CAR_NO_APPROVALS', env.noApprovals ? '1' : undefined],
    ['CAR_HANDLER_TIMEOUT', env.handlerTimeout],
    ['CAR_LOCAL_DECODE_TIMEOUT_SECS', env.localDecodeTimeout],
    ['CAR_TOOL_TIMEOUT', env.toolTimeout],
    ['CAR_INFERENCE_MAX_CONCURRENT', env.inferenceMaxConcurrent],
    ['CAR_SPHINX_MODEL_DIR', env.sphinxModelDir],
    ['CAR_SPHINX_IDLE_DECODERS', env.sphinxIdleDecoders],
    ['CAR_MAX_CONNECTIONS', env.maxConnections],
    ['CAR_MAX_PREAUTH_CONNECTIONS', env.maxPreAuthConnections],
    ['CAR_UI_SESSION_TTL', env.uiSessionTtl],
    ['CAR_LOG_LEVEL', env.logLevel],
    ['CAR_LOG_ROTATE_MIB', env.logRotateMib],
    ['CAR_LOG_KEEP_FILES', env.logKeepFiles],
    ['CAR_JOURNAL_ROTATE_MIB', env.journalRotateMib],
    ['CAR_JOURNAL_KEEP_MIB', env.journalKeepMib],
    ['CAR_PULL_MAX_BYTES', env.pullMaxBytes],
    ['CAR_PULL_STALL_SECS', env.pullStallSecs],
    ['CAR_PULL_ALLOW_CLIENTS', env.pullAllowClients ? '1' : undefined],
    ['CAR_REMOTE_TIMEOUT_SECS', env.remoteTimeoutSecs],
    // The sound server meetings record from, when it is not the one of the restarting shell's session.
    ['PULSE_SERVER', env.pulseServer],
  ];
  return Object.fromEntries(entries.filter((entry): entry is [string, string] => entry[1] !== undefined));
}

function wholeSeconds(name: string, raw: string | undefined, min: 0 | 1, hint: string): number | undefined {
  if (raw === undefined) return undefined;
  if (!/^\d+$/.test(raw.trim()) || Number(raw.trim()) < min) {
    const rule = min === 0 ? 'a whole number of seconds (0 turns the bound off)' : 'a whole number of seconds (at least 1)';
    throw new ConfigError(`${name} must be ${rule}, got '${raw}'`, hint);
  }
  return Number(raw.trim()) * 1000;
}

const BYTE_UNITS: Record<string, number> = { '': 1, K: 2 ** 10, M: 2 ** 20, G: 2 ** 30, T: 2 ** 40 };

/** Bytes, or a whole number with a K/M/G/T suffix (powers of 1024). */
function byteSize(name: string, raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const match = /^(\d+)\s*([KMGT]?)i?B?$/i.exec(raw.trim());
  const bytes = match ? Number(match[1]) * BYTE_UNITS[match[2]!.toUpperCase()]! : NaN;
  if (!(bytes >= 1)) throw new ConfigError(`${name} must be a size such as 20G, 500M or a number of bytes, got '${raw}'`, 'unset it for the 128 GiB default');
  return bytes;
}

function wholeCount(name: string, raw: string | undefined, hint: string): number | undefined {
  return whole(name, raw, 1, 'connections', hint);
}

function whole(name: string, raw: string | undefined, min: number, unit: string, hint: string): number | undefined {
  if (raw === undefined) return undefined;
  if (!/^\d+$/.test(raw.trim()) || Number(raw.trim()) < min)
    throw new ConfigError(`${name} must be a whole number of ${unit} (at least ${min}), got '${raw}'`, hint);
  return Number(raw.trim());
}

function mebibytes(name: string, raw: string | undefined, min: number, hint: string): number | undefined {
  const count = whole(name, raw, min, 'MiB', hint);
  return count === undefined ? undefined : count * 1024 * 1024;
}

function logLevel(raw: string | undefined): LogLevel | undefined {
  if (raw === undefined) return undefined;
  if (!LOG_LEVELS.includes(raw as LogLevel)) throw new ConfigError(`CAR_LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}, got '${raw}'`, 'unset it for info');
  return raw as LogLevel;
}
