import type { IncomingMessage, ServerResponse } from 'node:http';
import { trace } from '@opentelemetry/api';
import {
  breaker as makeBreaker,
  type BreakerWrapper,
  leastLoaded,
  type LeastLoadedWrapper,
  monotonicClock,
  type RateLimitWrapper,
  retry as makeRetry,
  tracing,
  wrapClient,
} from '../library';
import { DynamicCaller } from '../dynamic/caller';
import { HttpListener } from '../http-listener';
import { gatewayLimiter } from './limiter';
import { serveRequest } from './handle';
import { resolveOptions, type GatewayOptions } from './options';
import { RollingStats, type GatewayStats } from './stats';
import { errorResponse } from './status';
import { createHardenedServer, type HttpTimeouts } from './http-server';

/** The HTTP API gateway: Micro API's `/rpc` and path routing onto keel calls. See `createGateway`. */
export interface Gateway {
  /** Serves one request: mount it in any node HTTP server (`http.createServer(gateway.handle)`). Never throws. */
  handle(req: IncomingMessage, res: ServerResponse): void;
  /** Starts its own HTTP server on `host:port` (`:8080`: every interface); resolves to the bound `host:port`. */
  listen(address: string): Promise<string>;
  /** Stops the server (open connections are closed) and the caller. */
  close(): Promise<void>;
  /** The caller every request goes through (resolving methods, calling with JSON). */
  readonly caller: DynamicCaller;
  /** The node-scope breaker in the stack: `circuits()` is each node's state, for the dashboard. */
  readonly breaker: BreakerWrapper;
  /** The load-aware balancer in the stack: `nodes()` is each node's latency, calls in flight and cost, for the dashboard. */
  readonly balancer: LeastLoadedWrapper;
  /** The rate limiter, when `rateLimit` is set. */
  readonly limiter?: RateLimitWrapper;
  /** Recent traffic per endpoint (latency percentiles, error rates) over the stats window. */
  stats(): GatewayStats;
  /** The header and body timeouts `listen()` enforces: the dashboard serves with the same. */
  readonly timeouts: HttpTimeouts;
}

/**
 * An HTTP gateway in front of the registered services, after Micro API: `POST /rpc` with
 * `{ "service": "basis", "endpoint": "Basis.Hello", "request": { "name": "John" } }` (or the form-encoded
 * `service=…&method=…&request=<json>`), and `POST /basis/Basis/Hello` with the request as the body. Methods are
 * resolved by server reflection (or `protoFiles`); server-streaming answers are newline-delimited JSON. Every
 * call goes through `wrapClient(rateLimit (when set), retry(), leastLoaded(), breaker({ scope: 'node' }), tracing())`,
 * with the caller's `traceparent` continued. gRPC statuses map to HTTP statuses as Google's API guidelines do;
 * failures answer `{ code, status, message, reason }` (a failure whose detail is internal — a node's address,
 * a handler's crash — answers a generic message and an `errorId`; the detail goes to `onError`).
 *
 * Safe to leave running: give `listen` a loopback address unless it must be reached from elsewhere, and then
 * an `authorize` hook; pages of other sites cannot call through it (`allowedOrigins` lets named ones).
 * @example
 * const gateway = createGateway({ registry: localRegistry(), authorize: bearerToken(process.env.API_TOKEN!) });
 * await gateway.listen('127.0.0.1:8080');
 */
export function createGateway(options: GatewayOptions): Gateway {
  const settings = resolveOptions(options);
  const limiter = gatewayLimiter(options.rateLimit);
  const breaker = makeBreaker({ ...options.breaker, scope: 'node' });
  const tracer = options.tracer ?? trace.getTracer('keel');
  const balancer = leastLoaded(options.balancer);
  const wrap = wrapClient(...(limiter ? [limiter] : []), makeRetry(options.retry), balancer, breaker, tracing({ tracer }));
  const caller = new DynamicCaller({
    registry: options.registry, wrap, timeoutMs: settings.timeoutMs,
    ...(options.tls ? { tls: options.tls } : {}), ...(options.protoFiles ? { protoFiles: options.protoFiles } : {}),
    ...(options.protoPaths ? { protoPaths: options.protoPaths } : {}),
  });
  const clock = options.clock ?? monotonicClock;
  const stats = new RollingStats(clock, settings.statsWindowMs);
  const env = { caller, stats, tracer, settings, clock };

  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    serveRequest(env, req, res).catch((err: unknown) => {
      // serveRequest answers its own failures; this is the last guard, so one request can never take the process down.
      try {
        const { httpStatus, body } = errorResponse(err, settings.log);
        if (!res.headersSent && !res.destroyed) res.writeHead(httpStatus, { 'content-type': 'application/json' }).end(JSON.stringify(body));
        else res.destroy();
      } catch {
        res.destroy();
      }
    });
  };

  const timeouts: HttpTimeouts = { headersTimeoutMs: settings.headersTimeoutMs, bodyTimeoutMs: settings.bodyTimeoutMs };
  const listener = new HttpListener(() => createHardenedServer(timeouts, handle), 'gateway');
  return {
    handle,
    timeouts,
    caller,
    breaker,
    balancer,
    ...(limiter ? { limiter } : {}),
    stats: () => stats.snapshot(),
    listen: (address) => listener.listen(address),
    async close() {
      await listener.close();
      await Promise.all([caller.close(), limiter?.close()]);
    },
  };
}
