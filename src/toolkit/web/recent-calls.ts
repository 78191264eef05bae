/** What the dashboard shows per endpoint: the calls of the last `windowMs`. */
export interface EndpointStats {
  readonly service: string;
  readonly endpoint: string;
  readonly calls: number;
  readonly errors: number;
  /** errors / calls, 0 with no calls. */
  readonly errorRate: number;
  /** Latency percentiles (nearest rank) of the window's calls, failures included; 0 with no calls. */
  readonly p50Ms: number;
  readonly p90Ms: number;
  readonly p99Ms: number;
}

interface Sample {
  at: number;
  ms: number;
  ok: boolean;
}

/**
 * The recent calls of each endpoint, for the dashboard's latency percentiles and error rates (Hystrix's
 * rolling window, without buckets: at most `maxSamples` per endpoint are kept, so a snapshot sorts a few
 * hundred numbers). Pure: the caller passes `now`, so tests drive it with a table of times.
 */
export class RecentCalls {
  private readonly byKey = new Map<string, { service: string; endpoint: string; samples: Sample[] }>();

  /** @param windowMs calls older than this leave the window. @param maxSamples per endpoint, newest kept. */
  constructor(readonly windowMs = 60_000, private readonly maxSamples = 1000) {
    if (!(windowMs > 0)) throw new RangeError(`RecentCalls: windowMs must be > 0, got ${windowMs}`);
    if (!(maxSamples >= 1)) throw new RangeError(`RecentCalls: maxSamples must be >= 1, got ${maxSamples}`);
  }

  record(service: string, endpoint: string, ms: number, ok: boolean, now: number): void {
    const key = `${service}\n${endpoint}`;
    let entry = this.byKey.get(key);
    if (entry === undefined) this.byKey.set(key, (entry = { service, endpoint, samples: [] }));
    entry.samples.push({ at: now, ms, ok });
    if (entry.samples.length > this.maxSamples) entry.samples.splice(0, entry.samples.length - this.maxSamples);
  }

  /** Every endpoint with calls in the window, sorted by service then endpoint. */
  snapshot(now: number): EndpointStats[] {
    const out: EndpointStats[] = [];
    for (const [key, entry] of this.byKey) {
      const from = now - this.windowMs;
      const first = entry.samples.findIndex((s) => s.at > from);
      if (first === -1) {
        this.byKey.delete(key);
        continue;
      }
      if (first > 0) entry.samples.splice(0, first);
      const ms = entry.samples.map((s) => s.ms).sort((a, b) => a - b);
      const errors = entry.samples.filter((s) => !s.ok).length;
      out.push({
        service: entry.service, endpoint: entry.endpoint, calls: ms.length, errors, errorRate: errors / ms.length,
        p50Ms: rank(ms, 0.5), p90Ms: rank(ms, 0.9), p99Ms: rank(ms, 0.99),
      });
    }
    return out.sort((a, b) => a.service.localeCompare(b.service) || a.endpoint.localeCompare(b.endpoint));
  }
}

/** Nearest-rank percentile of sorted values. */
function rank(sorted: readonly number[], p: number): number {
  return sorted[Math.max(0, Math.ceil(p * sorted.length) - 1)] ?? 0;
}
