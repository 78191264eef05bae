import type { IncomingMessage, ServerResponse } from 'node:http';
import type { BreakerWrapper } from '../../../wrappers/breaker';
import type { RateLimitWrapper } from '../../../wrappers/rate-limit';
import type { DynamicCallOptions, DynamicMethod } from '../dynamic/types';
import type { EndpointStats } from './recent-calls';

/** The part of the DynamicCaller (src/toolkit/dynamic/) the dashboard and its direct gateway use. */
export interface JsonCaller {
  methods(service: string, signal?: AbortSignal): Promise<DynamicMethod[]>;
  call(service: string, endpoint: string, request: unknown, options?: DynamicCallOptions): Promise<unknown>;
}

/** Latency percentiles and error rates of the gateway's recent calls, per endpoint. */
export interface GatewayStats {
  readonly windowMs: number;
  readonly endpoints: readonly EndpointStats[];
}

/**
 * What the dashboard needs of a gateway: the API gateway's `createGateway()` (src/toolkit/gateway/) has this
 * shape, and `directGateway()` is a minimal one over a caller. The dashboard's call form posts to `handle`,
 * and its resilience panel reads `breaker.circuits()`, `limiter.stats()` and `stats()` — the state of the
 * very wrappers the form's calls go through.
 */
export interface WebGateway {
  /**
   * Serves `POST /rpc` with `{ service, endpoint, request }`: the reply as JSON, its trace id in the
   * `x-trace-id` header (or a W3C `traceresponse` header); a failure as `{ code, message, reason }`.
   */
  handle(req: IncomingMessage, res: ServerResponse): void | Promise<void>;
  /** Resolves a service's endpoints for the dashboard's service list. */
  readonly caller: Pick<JsonCaller, 'methods'>;
  /** The breaker the gateway's calls go through (per-node circuits are shown), if any. */
  readonly breaker?: BreakerWrapper | undefined;
  /** The gateway's rate limiter, if any. */
  readonly limiter?: RateLimitWrapper | undefined;
  stats(): GatewayStats;
}
