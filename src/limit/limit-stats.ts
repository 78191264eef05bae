import type { Wrapper } from '../call/contract';

/** What `rateLimit` returns. */
export interface RateLimitWrapper extends Wrapper {
  /** Closes the Redis connection keel opened; later calls are limited per process. A no-op without `redis`. */
  close(): Promise<void>;
  /** Calls admitted, refused and waiting so far, and the time spent waiting: what `resilienceMetrics` reports. */
  stats(): LimitStats;
}

/** What a rate limiter has decided so far: read by `resilienceMetrics` (see src/metrics/resilience.ts). */
export interface LimitStats {
  /** Calls let through (at once or after waiting). */
  admitted: number;
  /** Calls not let through: no token (in time for their deadline), or cancelled while waiting. */
  refused: number;
  /** Calls waiting for a token now. */
  waiting: number;
  /** Total time admitted calls spent waiting, in ms. */
  waitedMs: number;
}

type Admit<C, L> = (ctx: C, late: L) => Promise<void> | undefined;

/**
 * `admit` with its decisions counted into `stats`. The hot path (a token free) adds one increment; only a
 * call that waits pays for the clock reads and the extra promise step.
 */
export function counting<C, L>(admit: Admit<C, L>, stats: LimitStats, now: () => number): Admit<C, L> {
  return (ctx, late) => {
    const waiting = admit(ctx, late);
    if (waiting === undefined) {
      stats.admitted++;
      return undefined;
    }
    stats.waiting++;
    const started = now();
    return waiting.then(() => {
      stats.waiting--;
      stats.admitted++;
      stats.waitedMs += now() - started;
    }, (err: unknown) => {
      stats.waiting--;
      stats.refused++;
      throw err;
    });
  };
}
