import { rateLimit, type RateLimitWrapper } from '../library';

/** A gateway's `rateLimit` option: calls per second, the burst, and whether a call waits for a token. */
export interface GatewayRateLimit {
  ratePerSecond: number;
  /** Default: a tenth of a second's calls, at least 1. */
  burst?: number;
  /** Default false: a call over the limit is refused at once (429), not queued. */
  wait?: boolean;
}

/** The limiter in front of every call of a gateway (`keel api`, `keel mcp`), or none when not asked for. */
export function gatewayLimiter(limit: GatewayRateLimit | undefined): RateLimitWrapper | undefined {
  if (limit === undefined) return undefined;
  return rateLimit(limit.ratePerSecond, { burst: limit.burst ?? Math.max(1, Math.ceil(limit.ratePerSecond / 10)), wait: limit.wait ?? false });
}
