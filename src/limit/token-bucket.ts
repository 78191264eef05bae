/**
 * A token bucket: `ratePerSecond` tokens a second, holding at most `burst`; full at the start.
 * Pure: every method takes `now` (ms), nothing reads a clock or sets a timer. O(1), no allocation.
 *
 * Kept as GCRA state (the "theoretical arrival time" of the next token) rather than a float count of
 * tokens refilled step by step: repeated `tokens += elapsed × rate` drifts (at 100/s polled every
 * millisecond it admitted 91/s), while `base + n × interval` is one multiplication and exact enough.
 * Waiting callers reserve tokens ahead, so reservations are served in order, and the admitted total
 * over any interval of length T is at most `burst + rate × T`.
 */
export class TokenBucket {
  /** Milliseconds per token (GCRA's T). */
  private readonly interval: number;
  /** How far the arrival time may run ahead of `now` and still admit: (burst - 1) × T (GCRA's τ). */
  private readonly tolerance: number;
  /** Tolerance for float rounding in comparisons, a billionth of a token. */
  private readonly epsilon: number;
  /** The theoretical arrival time of the next token is `base + issued × interval`, never before now. */
  private base: number;
  private issued = 0;

  constructor(readonly ratePerSecond: number, readonly burst: number, now: number) {
    this.interval = 1000 / ratePerSecond;
    this.tolerance = (burst - 1) * this.interval;
    this.epsilon = this.interval * 1e-9;
    this.base = now; // full
  }

  /** The arrival time, no earlier than `now`: an idle bucket fills up to `burst` and no further. */
  private arrival(now: number): number {
    const tat = this.base + this.issued * this.interval;
    if (tat >= now) return tat;
    this.base = now;
    this.issued = 0;
    return now;
  }

  /** Takes a token if one is free now. */
  take(now: number): boolean {
    if (this.arrival(now) - this.tolerance - now > this.epsilon) return false;
    this.issued++;
    return true;
  }

  /** Milliseconds until a reservation made now would be served (0 when a token is free). Changes nothing. */
  delay(now: number): number {
    const wait = this.arrival(now) - this.tolerance - now;
    return wait > this.epsilon ? wait : 0;
  }

  /** Reserves the next token and returns the milliseconds to wait for it (0 when free now). */
  reserve(now: number): number {
    const wait = this.delay(now);
    this.issued++;
    return wait;
  }

  /** Returns a reserved token whose call will not happen (aborted while waiting). */
  cancel(now: number): void {
    this.arrival(now);
    if (this.issued > 0) this.issued--;
  }

  /** Tokens available now (negative while reservations are queued). */
  available(now: number): number {
    return (now + this.tolerance - this.arrival(now)) / this.interval + 1;
  }
}
