import type { Clock } from '../library';
import { SeriesRing, type EndpointSeries } from './series';

/** One endpoint's recent traffic through the gateway, over the last `windowMs`. */
export interface EndpointStats {
  service: string;
  endpoint: string;
  /**
   * Calls that ended in the window, and how many failed (any status but OK, the breaker's refusals included).
   * The gateway's own rate-limit refusals (429) are no calls and not counted here: the limiter's figures say them.
   */
  requests: number;
  errors: number;
  /** errors / requests, 0 when there were none. */
  errorRate: number;
  /** Latency percentiles (ms, nearest rank) of the calls in the window, as the gateway saw them. */
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  maxMs: number;
  /** Calls, errors and p99 bucket by bucket over the last 5 minutes (5 s buckets), oldest first: the dashboard's sparklines. */
  series: EndpointSeries;
}

export interface GatewayStats {
  /** The window the endpoint figures cover. */
  windowMs: number;
  /** Requests being served now. */
  inFlight: number;
  /** Requests answered since the gateway started, by HTTP status class. */
  answered: { '2xx': number; '4xx': number; '5xx': number };
  endpoints: EndpointStats[];
}

interface Ring { service: string; endpoint: string; at: Float64Array; ms: Float64Array; ok: Uint8Array; next: number; size: number; lastAt: number; series: SeriesRing }

/**
 * A small rolling window per endpoint: the last `samples` calls (a ring), of which those younger than
 * `windowMs` count. Recording is O(1) with no allocation; percentiles are computed when asked (the
 * dashboard polls). At most `maxEndpoints` endpoints are kept, the one idle longest giving way; names are cut
 * at MAX_STATS_NAME characters, and an endpoint idle for a whole window is dropped (its figures would be
 * empty): what a flood of made-up names leaves behind is bounded and goes away. The gateway records only
 * methods it resolved, so a made-up name never gets this far.
 */
export class RollingStats {
  private readonly rings = new Map<string, Ring>();
  inFlight = 0;
  readonly answered = { '2xx': 0, '4xx': 0, '5xx': 0 };

  constructor(private readonly clock: Clock, readonly windowMs = 60_000, private readonly samples = 1024, private readonly maxEndpoints = 256) {}

  record(serviceName: string, endpointName: string, ms: number, ok: boolean): void {
    const now = this.clock.now();
    const service = serviceName.slice(0, MAX_STATS_NAME);
    const endpoint = endpointName.slice(0, MAX_STATS_NAME);
    const key = `${service}\u0000${endpoint}`;
    let ring = this.rings.get(key);
    if (ring === undefined) {
      this.expire(now);
      if (this.rings.size >= this.maxEndpoints) this.evict();
      ring = { service, endpoint, at: new Float64Array(this.samples), ms: new Float64Array(this.samples), ok: new Uint8Array(this.samples), next: 0, size: 0, lastAt: now, series: new SeriesRing() };
      this.rings.set(key, ring);
    }
    ring.at[ring.next] = now;
    ring.ms[ring.next] = ms;
    ring.ok[ring.next] = ok ? 1 : 0;
    ring.next = (ring.next + 1) % this.samples;
    ring.size = Math.min(ring.size + 1, this.samples);
    ring.lastAt = now;
    ring.series.record(now, ms, ok);
  }

  answer(httpStatus: number): void {
    if (httpStatus < 400) this.answered['2xx']++;
    else if (httpStatus < 500) this.answered['4xx']++;
    else this.answered['5xx']++;
  }

  snapshot(): GatewayStats {
    const now = this.clock.now();
    this.expire(now);
    const endpoints: EndpointStats[] = [];
    for (const ring of this.rings.values()) {
      const latencies: number[] = [];
      let errors = 0;
      for (let i = 0; i < ring.size; i++) {
        if (now - ring.at[i]! > this.windowMs) continue;
        latencies.push(ring.ms[i]!);
        if (ring.ok[i] === 0) errors++;
      }
      if (latencies.length === 0) continue;
      latencies.sort((a, b) => a - b);
      const rank = (p: number): number => round(latencies[Math.min(latencies.length - 1, Math.ceil((p / 100) * latencies.length) - 1)]!);
      endpoints.push({ service: ring.service, endpoint: ring.endpoint, requests: latencies.length, errors, errorRate: errors / latencies.length,
        p50Ms: rank(50), p90Ms: rank(90), p99Ms: rank(99), maxMs: round(latencies[latencies.length - 1]!), series: ring.series.read(now) });
    }
    return { windowMs: this.windowMs, inFlight: this.inFlight, answered: { ...this.answered }, endpoints };
  }

  /** Drops the endpoints idle for longer than the window. */
  private expire(now: number): void {
    for (const [key, ring] of this.rings) if (now - ring.lastAt > this.windowMs) this.rings.delete(key);
  }

  private evict(): void {
    let oldest: string | undefined;
    let at = Infinity;
    for (const [key, ring] of this.rings) if (ring.lastAt < at) [oldest, at] = [key, ring.lastAt];
    if (oldest !== undefined) this.rings.delete(oldest);
  }
}

/** Longest service or endpoint name kept, in characters. */
export const MAX_STATS_NAME = 256;

const round = (ms: number): number => Math.round(ms * 1000) / 1000;
