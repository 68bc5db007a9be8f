/** Exit status of a command ended by Ctrl-C (128 + SIGINT), as shells report it. */
export const INTERRUPTED_EXIT = 130;

export interface Interruption {
  /** Aborts on the first Ctrl-C (or SIGTERM): the command stops its work and still prints what it has. */
  readonly signal: AbortSignal;
  /** Removes the handlers; later signals act as they would without them. */
  release(): void;
}

/**
 * Ctrl-C as an AbortSignal. The handler stays installed until released (not `process.once`):
 * ora's cursor restorer (signal-exit) re-raises a signal when it finds itself the only
 * listener, which killed a meeting with status 130 and none of its output once a `once`
 * handler had removed itself. A second Ctrl-C exits at once, for a user who will not wait.
 */
export function listenForInterrupt(): Interruption {
  const controller = new AbortController();
  const onSignal = (name: NodeJS.Signals) => {
    if (!controller.signal.aborted) return controller.abort(new Error(`interrupted (${name})`));
    process.stderr.write('\ninterrupted again: exiting without waiting\n');
    process.exit(INTERRUPTED_EXIT);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return {
    signal: controller.signal,
    release() {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}
