export interface VegasPolicy {
  initialLimit: number;
  minLimit: number;
  maxLimit: number;
  /** How long a measured no-load latency is trusted before it is measured again. */
  minRttWindowMs: number;
  /**
   * How it is measured again. `true` (a server): by holding the limit at `minLimit` for a few calls, as Envoy
   * does, so that a sustained overload cannot pass for the no-load latency. `false` (a client, whose refusals
   * would be failed calls): the lowest latency of the last one or two windows.
   */
  remeasure: boolean;
  /**
   * The share of the limit that must be in flight for latency to move it (dropped calls always do). 0.5 (a
   * server, Netflix's rule): a caller using under half its limit says nothing about it. 1 (a client): only a
   * limit that is actually holding calls back — a client's latency also holds its own pauses and its slow
   * nodes, which are no queue it built, so below its limit only dropped calls lower it.
   */
  inUse: number;
  /**
   * The queue the limit holds, in calls per log10 of the limit (each at least 1): below `alpha` it grows,
   * above `beta` it shrinks. Netflix's 3 and 6 suit a client. A server takes 2 and 4: its queue is its own
   * callers' wait, and at the small limits of a service that serves one or a few calls at a time each queued
   * call costs a whole service time — 3 to 6 of them held successful calls at 4–7× the service time under
   * overload, where 2 to 4 still leave the service its next call waiting. Default 3 and 6.
   */
  alpha?: number;
  beta?: number;
}

/** Samples taken with the limit held at `minLimit` to measure the no-load latency again. */
const MEASURE_SAMPLES = 5;

/**
 * An adaptive concurrency limit after TCP Vegas (Netflix concurrency-limits' `VegasLimit`): the queue the
 * calls in flight build is estimated as inFlight × (1 − noLoadRtt / rtt); while it is below α the limit
 * grows, above β it shrinks, and a dropped call (timed out, refused by the server) shrinks it at once. α, β
 * and the steps are logarithmic in the limit (`alpha`·log10, `beta`·log10, log10, with log10 taken as at least 1).
 * A caller using under `inUse` of its limit changes nothing by its latency: it says nothing about the limit.
 *
 * Vegas rather than gradient2: gradient2 compares short-term to long-term average latency, and under a
 * sustained overload the long-term average rises to the overloaded latency, so the limit drifts up (to
 * `maxLimit` in our 15 s overload runs). Vegas compares against the no-load latency, which stays put; it is
 * measured again every `minRttWindowMs` (see `remeasure`), so that a lasting change of the service's own
 * speed is learnt too.
 *
 * Pure: every method takes `now` (ms); no timer.
 */
export class VegasLimit {
  private value: number;
  private noLoadRtt = Infinity;
  private noLoadAt = -Infinity;
  private measuring = 0;
  private measureFrom = 0;
  private candidate = Infinity;
  /** Without `remeasure`: the lowest latency of the window under way (the baseline is the lower of it and the last one's). */
  private windowMin = Infinity;

  constructor(private readonly policy: VegasPolicy) {
    this.value = policy.initialLimit;
  }

  /** Calls allowed in flight now. */
  get limit(): number {
    return this.measuring > 0 ? this.policy.minLimit : Math.floor(this.value);
  }

  /** The no-load latency the limit is measured against (Infinity before the first sample). */
  get baselineMs(): number {
    return this.noLoadRtt;
  }

  /**
   * One finished call: its latency, the calls in flight when it started (itself included), whether it was
   * dropped (timed out, refused downstream), and when it started.
   */
  sample(rttMs: number, inFlight: number, dropped: boolean, startedAt: number, now: number): void {
    if (this.measuring > 0) {
      if (startedAt >= this.measureFrom && !dropped) {
        this.candidate = Math.min(this.candidate, rttMs);
        if (--this.measuring === 0) {
          this.noLoadRtt = this.candidate;
          this.noLoadAt = now;
        }
      }
      return;
    }
    if (!dropped) {
      if (rttMs < this.noLoadRtt) this.noLoadRtt = rttMs;
      if (rttMs < this.windowMin) this.windowMin = rttMs;
      if (this.noLoadAt === -Infinity) this.noLoadAt = now;
    }
    if (now - this.noLoadAt > this.policy.minRttWindowMs) {
      if (this.policy.remeasure) {
        this.measuring = MEASURE_SAMPLES;
        this.measureFrom = now;
        this.candidate = Infinity;
        return;
      }
      // The window's lowest latency is the baseline for the next one, kept down by its own lowest.
      this.noLoadRtt = this.windowMin;
      this.windowMin = Infinity;
      this.noLoadAt = now;
    }
    const limit = this.value;
    const log = Math.max(1, Math.log10(limit));
    let next: number;
    if (dropped) next = limit - log;
    else {
      if (inFlight < this.policy.inUse * limit) return; // the caller is not using the limit: no evidence either way
      // Vegas's queue estimate, for the calls actually in flight (TCP Vegas uses the window in use): a caller
      // well under its limit whose latency merely varies has built no queue.
      const queue = Math.ceil(Math.min(inFlight, limit) * (1 - this.noLoadRtt / Math.max(rttMs, this.noLoadRtt)));
      if (queue <= log) next = limit + 6 * log;
      else if (queue < (this.policy.alpha ?? 3) * log) next = limit + log;
      else if (queue > (this.policy.beta ?? 6) * log) next = limit - log;
      else return;
    }
    this.value = Math.min(this.policy.maxLimit, Math.max(this.policy.minLimit, next));
  }
}
