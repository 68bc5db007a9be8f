/** Fires once when `kick` has not been called for `ms`: "no data for N s" for downloads and remote streams. */
export class Watchdog {
  fired = false;
  private timer: NodeJS.Timeout;

  constructor(
    private readonly ms: number,
    private readonly onFire: () => void,
  ) {
    this.timer = this.arm();
  }

  /** Called per chunk of a stream: `refresh` restarts the same timer instead of allocating one. */
  kick(): void {
    this.timer.refresh();
  }

  stop(): void {
    clearTimeout(this.timer);
  }

  private arm(): NodeJS.Timeout {
    return setTimeout(() => {
      this.fired = true;
      this.onFire();
    }, this.ms);
  }
}
