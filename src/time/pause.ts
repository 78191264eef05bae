/**
 * The waits of a loop that runs until stopped (a registry watch between its attempts): one at a time, on
 * a timer that does not hold the process open, and `stop()` ends the one pending at once, so a stopped
 * loop never sleeps on.
 */
export class Pause {
  private timer: NodeJS.Timeout | undefined;
  private wake: (() => void) | undefined;

  /** Resolves after `ms`, or at once when `stop()` is called meanwhile. */
  for(ms: number): Promise<void> {
    return new Promise((resolve) => {
      this.wake = resolve;
      this.timer = setTimeout(resolve, ms);
      this.timer.unref();
    });
  }

  stop(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.wake?.();
  }
}
