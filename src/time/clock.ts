/** A source of time, injectable so that TTL and rate logic can be tested without sleeping. */
export interface Clock {
  now(): number;
}

/** Wall-clock epoch milliseconds: for times that other processes compare (registry expiry). */
export const systemClock: Clock = { now: () => Date.now() };

/**
 * Monotonic milliseconds with sub-millisecond resolution: for rates and durations inside one process.
 * `Date.now()` ticks in whole milliseconds, so a limiter on it saw two calls in the same millisecond as
 * simultaneous and made the second wait a timer tick (~1 ms) at rates above 1,000/s; it also jumps when
 * the wall clock is set.
 */
export const monotonicClock: Clock = { now: () => performance.now() };
