import { RollingCounts } from '../breaker/rolling-counts';

/**
 * Adaptive client-side throttling (Google SRE book, "Handling Overload"): over a rolling window the client
 * counts its requests and the backends' accepts, and refuses a new request locally with probability
 * max(0, (requests − k × accepts) / (requests + 1)). While the backends accept, nothing is refused; when they
 * refuse most of the traffic, the client stops sending most of it — the refusals it would get anyway —
 * instead of pushing an overloaded fleet further. Requests it refuses itself count as requests, not
 * accepts, so the refusal rate follows the backends. `k` = 2 lets through up to twice what is accepted.
 * Pure: takes `now` and a random draw.
 */
export class Throttle {
  /** Per bucket: accepted requests as "successes", everything else as "failures". */
  private readonly counts: RollingCounts;

  constructor(private readonly k: number, windowMs: number) {
    this.counts = new RollingCounts(windowMs, 10);
  }

  /** Whether to refuse a request now (`draw`: uniform in [0, 1)); a refusal is counted as a request. */
  refuse(now: number, draw: number): boolean {
    const { requests, failures } = this.counts.totals(now);
    const accepts = requests - failures;
    const p = (requests - this.k * accepts) / (requests + 1);
    if (p <= 0 || draw >= p) return false;
    this.counts.add(true, now);
    return true;
  }

  /** A request that went to the backends: accepted (answered, whatever the answer) or refused for overload. */
  record(accepted: boolean, now: number): void {
    this.counts.add(!accepted, now);
  }

  /** The probability a request is refused now. */
  probability(now: number): number {
    const { requests, failures } = this.counts.totals(now);
    return Math.max(0, (requests - this.k * (requests - failures)) / (requests + 1));
  }
}
