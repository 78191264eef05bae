/** What a sidecar does after a check: register the app, deregister it, or nothing. */
export type GateAction = 'register' | 'deregister' | undefined;

/**
 * When a checked app counts as up or down (Kubernetes' readiness `failureThreshold` / `successThreshold`):
 * down after `failAfter` failed checks in a row, up again after `recoverAfter` passed checks in a row, so
 * one lost probe does not drop a node and one lucky probe does not bring back a flapping one. The very
 * first passed check counts as up at once: starting is not recovering, and the app should be findable as
 * soon as it answers. Counts, not time: the sidecar's interval turns them into the documented bounds.
 * No I/O, no timers: tested with a table of outcomes.
 */
export class HealthGate {
  private up = false;
  private seenUp = false;
  private streak = 0;

  constructor(private readonly failAfter: number, private readonly recoverAfter: number) {}

  /** Whether the app is registered (as far as the gate knows). */
  get healthy(): boolean {
    return this.up;
  }

  /** Records one check's outcome; returns what to do about it, if anything. */
  record(passed: boolean): GateAction {
    if (passed === this.up) {
      this.streak = 0;
      return undefined;
    }
    this.streak++;
    const needed = passed ? (this.seenUp ? this.recoverAfter : 1) : this.failAfter;
    if (this.streak < needed) return undefined;
    this.up = passed;
    this.seenUp ||= passed;
    this.streak = 0;
    return passed ? 'register' : 'deregister';
  }
}
