/**
 * Exponential backoff with "equal jitter": after the n-th consecutive failure, wait between half and all
 * of `min(maxMs, minMs × 2^(n-1))`. The jitter spreads the retries of many processes that failed together
 * (a restarted Consul agent) so they do not all return in the same millisecond; the half kept fixed makes
 * sure a retry never comes sooner than half the ceiling.
 * @example backoffDelay(3, 100, 1000) // between 200 and 400
 */
export function backoffDelay(failures: number, minMs: number, maxMs: number, random: () => number = Math.random): number {
  const ceiling = Math.min(maxMs, minMs * 2 ** Math.max(0, failures - 1));
  return ceiling / 2 + random() * (ceiling / 2);
}
