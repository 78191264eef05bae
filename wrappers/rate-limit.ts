import { status } from '@grpc/grpc-js';
import type { Wrapper } from '../src/call';
import { KeelError } from '../src/errors';
import { TokenBucket } from '../src/limit/token-bucket';
import { knownKeys } from '../src/options';
import { systemClock, type Clock } from '../src/registry/registry';
import { describe } from '../src/address';

export interface RateLimitOptions {
  /** Tokens the bucket holds: calls that may go at once after a quiet spell. Default 1. */
  burst?: number;
  /**
   * Default true: a call with no token waits for one, in FIFO order, but never past its deadline or
   * abort (a wait that cannot end before the deadline fails at once). False: it fails at once with
   * RESOURCE_EXHAUSTED / `rate_limited`.
   */
  wait?: boolean;
  /** Time source. Default: `Date.now`. */
  clock?: Clock;
}

interface Deadlined {
  readonly deadline: number | undefined;
  readonly signal: AbortSignal | undefined;
}

/**
 * A token bucket of `ratePerSecond` (go-micro's ratelimiter wrappers), for clients and handlers. One
 * bucket per wrapper instance: use one instance on several clients to cap them together.
 * - Client: with `wait`, calls queue until a token is free; if the wait would outlast the call's
 *   deadline it fails at once with DEADLINE_EXCEEDED / `deadline`.
 * - Handler: protects the server; the caller gets RESOURCE_EXHAUSTED / `rate_limited` when no token is
 *   free (or, with `wait`, none will be before the caller's deadline).
 * Cost: O(1) per decision, no timer and no allocation when a token is free. A breaker never counts
 * these rejections as failures.
 * @example wrapClient(rateLimit(100, { burst: 10 }))
 */
export function rateLimit(ratePerSecond: number, options: RateLimitOptions = {}): Wrapper {
  knownKeys(options, ['burst', 'wait', 'clock'], 'rateLimit');
  if (typeof ratePerSecond !== 'number' || !Number.isFinite(ratePerSecond) || ratePerSecond <= 0) {
    throw new RangeError(`rateLimit: ratePerSecond must be a positive finite number, got ${describe(ratePerSecond)}`);
  }
  const burst = options.burst ?? 1;
  if (!Number.isInteger(burst) || burst < 1) throw new RangeError(`rateLimit: burst must be an integer >= 1, got ${describe(burst)}`);
  const wait = options.wait ?? true;
  if (typeof wait !== 'boolean') throw new TypeError(`rateLimit: wait must be a boolean, got ${describe(wait)}`);
  const clock = options.clock ?? systemClock;
  const bucket = new TokenBucket(ratePerSecond, burst, clock.now());

  const limited = (): KeelError =>
    new KeelError(status.RESOURCE_EXHAUSTED, 'rate_limited', `rate limit of ${ratePerSecond}/s (burst ${burst}) reached`);

  /** undefined: go now (the hot path). Otherwise a promise that settles when the call may go, or why not. */
  const admit = (ctx: Deadlined, late: () => KeelError): Promise<void> | undefined => {
    const now = clock.now();
    if (bucket.take(now)) return undefined;
    if (!wait) return Promise.reject(limited());
    const delayMs = bucket.delay(now);
    if (ctx.deadline !== undefined && now + delayMs > ctx.deadline) return Promise.reject(late());
    if (ctx.signal?.aborted) return Promise.reject(cancelled());
    bucket.reserve(now);
    return sleep(delayMs, ctx.signal, () => bucket.cancel(clock.now()));
  };
  const lateClient = (): KeelError => new KeelError(status.DEADLINE_EXCEEDED, 'deadline',
    `the rate limit (${ratePerSecond}/s) would hold the call past its deadline`);

  return {
    name: 'rateLimit',
    client: (next) => (request, ctx) => {
      const waiting = admit(ctx, lateClient);
      return waiting === undefined ? next(request, ctx) : waiting.then(() => next(request, ctx));
    },
    handler: (next) => (request, ctx) => {
      const waiting = admit(ctx, limited);
      return waiting === undefined ? next(request, ctx) : waiting.then(() => next(request, ctx));
    },
  };
}

const cancelled = (): KeelError => new KeelError(status.CANCELLED, 'cancelled', 'the call was cancelled while waiting for the rate limit');

/** Waits `ms`, or rejects as cancelled when `signal` aborts first (then `onAbort` returns the token). */
function sleep(ms: number, signal: AbortSignal | undefined, onAbort: () => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const abort = (): void => {
      clearTimeout(timer);
      onAbort();
      reject(cancelled());
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', abort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', abort, { once: true });
  });
}
