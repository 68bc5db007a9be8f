import type { ToolRunner } from './tool-runner.js';

/**
 * `CAR_LOCAL_DECODE_TIMEOUT_SECS` (docs/protocol.md#environment) bounds the engine's own work: the clock stops
 * while a tool call waits for its client (which has a timeout of its own), so a slow tool
 * never turns into a decode timeout.
 */
export class DecodeDeadline {
  private timer: NodeJS.Timeout | undefined;
  private remainingMs: number;
  private runningSince = 0;
  /** Expired or cleared: never runs again. */
  private over = false;

  /** `limitMs` 0 never expires. */
  constructor(
    private readonly limitMs: number,
    private readonly expire: () => void,
  ) {
    this.remainingMs = limitMs;
    this.resume();
  }

  /** The runner with the clock stopped while each call runs. */
  excluding(runner: ToolRunner): ToolRunner {
    return {
      tools: runner.tools,
      choice: runner.choice,
      maxRounds: runner.maxRounds,
      get calls() {
        return runner.calls;
      },
      call: async (tool, parameters, signal) => {
        this.pause();
        try {
          return await runner.call(tool, parameters, signal);
        } finally {
          this.resume();
        }
      },
      refuse: (tool, parameters, message) => runner.refuse(tool, parameters, message),
    };
  }

  clear(): void {
    this.over = true;
    clearTimeout(this.timer);
  }

  private pause(): void {
    if (this.timer === undefined) return;
    clearTimeout(this.timer);
    this.timer = undefined;
    this.remainingMs -= Date.now() - this.runningSince;
  }

  private resume(): void {
    if (this.limitMs <= 0 || this.over || this.timer !== undefined) return;
    this.runningSince = Date.now();
    this.timer = setTimeout(
      () => {
        this.over = true;
        this.expire();
      },
      Math.max(0, this.remainingMs),
    );
  }
}
