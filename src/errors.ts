/**
 * Errors that end a CLI command or refuse a daemon start. Each carries the exit code of
 * README.md#command-line-conventions (1 = operation failed, 2 = usage/config, 3 = daemon not reachable) and
 * a hint for the second line of the message.
 */
export class CarError extends Error {
  constructor(
    message: string,
    readonly hint?: string,
    readonly exitCode: 1 | 2 | 3 = 1,
  ) {
    super(message);
    this.name = 'CarError';
  }
}

export class ConfigError extends CarError {
  constructor(message: string, hint?: string) {
    super(message, hint, 2);
    this.name = 'ConfigError';
  }
}

export class DaemonUnreachableError extends CarError {
  constructor(url: string, cause?: string) {
    super(`no car daemon answers at ${url}${cause ? ` (${cause})` : ''}`, 'start it with `car daemon start`, or pass --url / set CAR_DAEMON_URL', 3);
    this.name = 'DaemonUnreachableError';
  }
}
