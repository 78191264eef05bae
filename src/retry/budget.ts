import { knownKeys, numberIn, positiveMs } from '../options';

export interface RetryBudgetOptions {
  /** Retries allowed as a share of calls, in [0, 1]. Default 0.2 (Finagle's 20 %). */
  ratio?: number;
  /** Retries allowed besides the ratio, per second, so that a client with little traffic can still retry. Default 10. */
  minPerSecond?: number;
  /** How long a call or retry counts. Default 10000 (Finagle's ttl). */
  windowMs?: number;
}

const BUCKETS = 10;

/**
 * A retry budget (Finagle's RetryBudget, Envoy's retry_budget): over the last `windowMs`, retries (and hedged
 * attempts) may be at most `ratio` × calls + `minPerSecond` × the window in seconds. When every node fails,
 * the servers see at most (1 + ratio) × the calls plus that small reserve, however many attempts each call
 * may make. Pure: takes `now` (ms), no timer; O(buckets) per decision.
 * Share one budget between `retry()` and `hedge()` (and between clients) by passing the same object.
 * @example const budget = new RetryBudget({ ratio: 0.1 }); wrapClient(retry({ budget }), …)
 */
export class RetryBudget {
  readonly ratio: number;
  readonly minPerSecond: number;
  readonly windowMs: number;
  private readonly bucketMs: number;
  private readonly epochs = new Float64Array(BUCKETS).fill(-Infinity);
  private readonly calls = new Float64Array(BUCKETS);
  private readonly retries = new Float64Array(BUCKETS);

  constructor(options: RetryBudgetOptions = {}) {
    knownKeys(options, ['ratio', 'minPerSecond', 'windowMs'], 'retry budget');
    this.ratio = numberIn(options.ratio ?? 0.2, 'retry budget: ratio', 0, { max: 1 });
    this.minPerSecond = numberIn(options.minPerSecond ?? 10, 'retry budget: minPerSecond', 0);
    this.windowMs = positiveMs(options.windowMs ?? 10_000, 'retry budget: windowMs');
    this.bucketMs = this.windowMs / BUCKETS;
  }

  /** Counts a call (its first attempt): it earns `ratio` of a retry. */
  deposit(now: number): void {
    (this.calls[this.slot(now)] as number)++;
  }

  /** Takes one retry if the budget has one now; false: the retry must not happen. */
  withdraw(now: number): boolean {
    if (this.available(now) < 1) return false;
    (this.retries[this.slot(now)] as number)++;
    return true;
  }

  /** Retries that may still happen now (fractional). */
  available(now: number): number {
    const epoch = Math.floor(now / this.bucketMs);
    let calls = 0;
    let retries = 0;
    for (let i = 0; i < BUCKETS; i++) {
      if (epoch - (this.epochs[i] as number) < BUCKETS) {
        calls += this.calls[i] as number;
        retries += this.retries[i] as number;
      }
    }
    return this.ratio * calls + this.minPerSecond * (this.windowMs / 1000) - retries;
  }

  private slot(now: number): number {
    const epoch = Math.floor(now / this.bucketMs);
    const i = epoch % BUCKETS;
    if (this.epochs[i] !== epoch) {
      this.epochs[i] = epoch;
      this.calls[i] = 0;
      this.retries[i] = 0;
    }
    return i;
  }
}
