import { RollingCounts } from './rolling-counts';
import { ConsecutiveFailuresRule, ErrorPercentageRule, type TripRule } from './trip-rules';

export type CircuitState = 'closed' | 'open' | 'half-open';

/** How a finished call counts: `ignore` leaves the statistics alone (limiter rejections, caller cancels). */
export type Outcome = 'success' | 'failure' | 'ignore';

export interface CircuitPolicy {
  /** Error percentage (0-100) at or above which the circuit opens. */
  errorThresholdPercentage: number;
  /** Requests needed in the window before the circuit may open. */
  volumeThreshold: number;
  /** How long the circuit stays open before one probe is let through. */
  sleepWindowMs: number;
  rollingWindowMs: number;
  rollingBuckets: number;
  /** A probe with no outcome after this long is taken as lost, and another is let through. */
  probeTimeoutMs: number;
  /** Also open after this many failures in a row, whatever the window holds (Envoy's consecutive_5xx). 0 or absent: off. */
  consecutiveFailures?: number;
}

/**
 * The breaker's state machine (Hystrix's HystrixCircuitBreaker): pure, synchronous, driven by `now`.
 * - closed: every call is allowed; outcomes fill a rolling window; when requests ≥ volumeThreshold and
 *   error% ≥ threshold, or (with `consecutiveFailures`) after that many failures in a row, the circuit
 *   opens. The trip rules are policy objects (src/breaker/trip-rules.ts).
 * - open: calls are refused until `sleepWindowMs` has passed; then exactly one call, the probe, is
 *   allowed and the circuit is half-open.
 * - half-open: other calls are refused; the probe's success closes the circuit with a fresh window,
 *   its failure opens it for another sleep window, an ignored outcome lets the next call probe.
 * `owner` identifies a call (its context object), so that only the probe's own outcome decides.
 */
export class Circuit {
  state: CircuitState = 'closed';
  private openedAt = 0;
  private probe: object | undefined;
  private probeAt = 0;
  private readonly counts: RollingCounts;
  private readonly rules: readonly TripRule[];

  constructor(
    private readonly policy: CircuitPolicy,
    private readonly onChange?: (from: CircuitState, to: CircuitState, now: number) => void,
    /** Asked before a closed circuit trips: false keeps it closed (a cap on how many circuits may be open). */
    private readonly mayOpen?: (now: number) => boolean,
  ) {
    this.counts = new RollingCounts(policy.rollingWindowMs, policy.rollingBuckets);
    const rules: TripRule[] = [new ErrorPercentageRule(this.counts, policy.errorThresholdPercentage, policy.volumeThreshold)];
    if (policy.consecutiveFailures) rules.push(new ConsecutiveFailuresRule(policy.consecutiveFailures));
    this.rules = rules;
  }

  /** Whether the call `owner` may go ahead now. When it becomes the probe, the circuit remembers it. */
  allow(now: number, owner: object): boolean {
    if (this.state === 'closed') return true;
    if (this.state === 'open') {
      if (now - this.openedAt < this.policy.sleepWindowMs) return false;
      this.move('half-open', now);
    } else if (now - this.probeAt <= this.policy.probeTimeoutMs) {
      return false; // half-open with a live probe: everyone else fails fast
    }
    this.probe = owner;
    this.probeAt = now;
    return true;
  }

  /** Records the outcome of a call that `allow` let through. */
  record(outcome: Outcome, now: number, owner: object): void {
    if (this.state === 'half-open') {
      if (owner !== this.probe) return; // a call from before the circuit opened: the probe decides
      this.probe = undefined;
      if (outcome === 'success') {
        this.counts.reset();
        for (const rule of this.rules) rule.reset();
        this.move('closed', now);
      } else if (outcome === 'failure') {
        this.openedAt = now;
        this.move('open', now);
      } else {
        this.openedAt = now - this.policy.sleepWindowMs; // no verdict: the next call probes at once
        this.move('open', now);
      }
      return;
    }
    if (this.state === 'open' || outcome === 'ignore') return;
    const failed = outcome === 'failure';
    this.counts.add(failed, now);
    let trip = false;
    for (const rule of this.rules) trip = rule.record(failed, now) || trip; // every rule sees every outcome
    if (trip && (this.mayOpen === undefined || this.mayOpen(now))) {
      this.openedAt = now;
      this.move('open', now);
    }
  }

  /**
   * Opens a closed circuit now, as a trip rule would (the cap on open circuits still applies): for rules
   * that look beyond one circuit, such as a node failing well above its peers. True when it opened.
   */
  trip(now: number): boolean {
    if (this.state !== 'closed' || (this.mayOpen !== undefined && !this.mayOpen(now))) return false;
    this.openedAt = now;
    this.move('open', now);
    return true;
  }

  /** The window's requests and failures, for metrics and dashboards. */
  stats(now: number): { state: CircuitState; requests: number; failures: number } {
    return { state: this.state, ...this.counts.totals(now) };
  }

  /** How often the circuit has moved into each state, for the transitions metric. */
  transitions(): Readonly<Record<CircuitState, number>> {
    return { ...this.entered };
  }

  private readonly entered: Record<CircuitState, number> = { closed: 0, open: 0, 'half-open': 0 };

  private move(to: CircuitState, now: number): void {
    const from = this.state;
    this.state = to;
    this.entered[to]++;
    this.onChange?.(from, to, now);
  }
}
