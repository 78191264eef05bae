import { numberIn, oneOf, positiveMs } from './options';

export interface BackoffOptions {
  /** The ceiling of the first delay. Default 25. */
  initialMs?: number;
  /** The ceiling never grows past this. Default 1000. */
  maxMs?: number;
  /** Each further delay's ceiling is this times the previous one. Default 2. */
  multiplier?: number;
  /**
   * `full` (default): a delay is uniform in [0, ceiling] (gRPC's A6, AWS's "full jitter": callers that failed
   * together spread out the most). `equal`: uniform in [ceiling / 2, ceiling] (never retries at once).
   */
  jitter?: 'full' | 'equal';
}

/**
 * Exponential backoff with jitter, the one policy every wait in keel uses (retries, registry watches).
 * Pure: `delayMs(n)` is the delay before the n-th retry (1-based); randomness is injected for tests.
 * @example new Backoff({ initialMs: 100, maxMs: 10_000, jitter: 'equal' }).delayMs(3) // in [200, 400]
 */
export class Backoff {
  readonly initialMs: number;
  readonly maxMs: number;
  readonly multiplier: number;
  readonly jitter: 'full' | 'equal';

  constructor(options: BackoffOptions = {}, private readonly random: () => number = Math.random, where = 'backoff') {
    this.initialMs = positiveMs(options.initialMs ?? 25, `${where}: initialMs`);
    this.maxMs = positiveMs(options.maxMs ?? 1000, `${where}: maxMs`);
    if (this.maxMs < this.initialMs) throw new RangeError(`${where}: maxMs (${this.maxMs}) must be >= initialMs (${this.initialMs})`);
    this.multiplier = numberIn(options.multiplier ?? 2, `${where}: multiplier`, 1);
    this.jitter = oneOf(options.jitter ?? 'full', `${where}: jitter`, ['full', 'equal']);
  }

  /** The largest delay before retry `n` (1-based): initialMs × multiplier^(n-1), capped at maxMs. */
  ceilingMs(n: number): number {
    return Math.min(this.maxMs, this.initialMs * this.multiplier ** Math.max(0, n - 1));
  }

  /** The delay before retry `n` (1-based), jittered. */
  delayMs(n: number): number {
    const ceiling = this.ceilingMs(n);
    return this.jitter === 'full' ? this.random() * ceiling : ceiling / 2 + this.random() * (ceiling / 2);
  }
}

/**
 * The same policy as a function, with equal jitter: the delay after the n-th consecutive failure (1-based)
 * is between half and all of `min(maxMs, minMs × 2^(n-1))`. For waits whose bounds change from call to call
 * (a server's registration retries are capped by its refresh interval).
 * @example backoffDelay(3, 100, 1000) // between 200 and 400
 */
export function backoffDelay(failures: number, minMs: number, maxMs: number, random: () => number = Math.random): number {
  return new Backoff({ initialMs: minMs, maxMs: Math.max(minMs, maxMs), jitter: 'equal' }, random).delayMs(failures);
}
