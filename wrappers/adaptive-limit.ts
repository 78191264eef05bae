import { status } from '@grpc/grpc-js';
import type { CallKind, Wrapper } from '../src/call';
import { describe } from '../src/address';
import { hasStatusCode, isKeelError, isLocalRefusal, keelError } from '../src/errors';
import { Admission } from '../src/limit/admission';
import { Throttle } from '../src/limit/throttle';
import { VegasLimit, type VegasPolicy } from '../src/limit/vegas';
import { func, integer, knownKeys, nonNegativeMs, numberIn, positiveMs, withMethod } from '../src/options';
import { monotonicClock, type Clock } from '../src/time/clock';
import { wasSkipped } from '../src/server/gone';

export interface AdaptiveLimitOptions {
  /** The limit before any latency was measured. Default 10 on a handler, 100 on a client (see the README). */
  initialLimit?: number;
  /** The limit never goes below this. Default 1. */
  minLimit?: number;
  /** …nor above this. Default 1000. */
  maxLimit?: number;
  /**
   * How long the measured no-load latency is trusted before it is measured again: on a handler by holding the
   * limit at `minLimit` for five calls (Envoy's way: a sustained overload cannot pass for the no-load latency);
   * on a client, whose refusals would be failed calls, as the lowest latency of the last window. Default 30000.
   */
  minRttWindowMs?: number;
  /**
   * Handler face: how long a call beyond the limit may wait for a slot (FIFO) before it is refused; it
   * waits only if its deadline leaves room for the wait and the service's latency. 0: refuse at once. Default 10.
   */
  queueMs?: number;
  /**
   * Client face: adaptive client-side throttling (Google SRE): refuse locally with probability
   * max(0, (requests − k × accepts) / (requests + 1)) over `windowMs`. `false` turns it off.
   * Default `{ k: 2, windowMs: 10000 }`.
   */
  throttle?: { k?: number; windowMs?: number } | false;
  /** Time source. Default: monotonic `performance.now()`. */
  clock?: Clock;
  /** Random source in [0, 1), for the throttle. Default `Math.random`. */
  random?: () => number;
}

/** One limit's state now, for dashboards and metrics. */
export interface LimitState {
  side: 'client' | 'handler';
  service: string;
  limit: number;
  inFlight: number;
  /** The no-load latency the limit is measured against (ms; Infinity before the first call). */
  baselineMs: number;
  /** Handler face: calls waiting for a slot. */
  queued: number;
  /** Client face: the throttle's refusal probability now. */
  throttle: number;
}

export interface AdaptiveLimitWrapper extends Wrapper {
  limits(): LimitState[];
}

const PUSHBACK = 'grpc-retry-pushback-ms';
/**
 * A client's limit before it has seen the servers refuse: high, so that a pause of the client's own (a GC, a
 * busy host) that bunches its calls up is not refused; the servers' refusals bring it down within a fraction
 * of a second when they are overloaded (each lowers it by log10 of the limit).
 */
const CLIENT_INITIAL_LIMIT = 100;

/**
 * A handler's limit before any latency was measured. A limit no load has tested yet is where a sudden overload
 * finds it: a server at half its capacity keeps one or two calls in flight, which says nothing of its limit
 * (see `inUse`), so Netflix's 20 stayed 20 until the overload came, and a first overload built a queue of 15
 * before the limit came down (the first second held the run's slowest successful calls: 170 ms of a 10 ms
 * service). From 10 a server in use grows by 6·log10 of its limit per call while no queue builds (Vegas's
 * slow start), as Envoy's filter starts at 3 and grows.
 */
const HANDLER_INITIAL_LIMIT = 10;

/** Streams hold a slot for as long as the application keeps them open: they are not limited. */
const limited = (kind: CallKind): boolean => kind === 'unary' || kind === 'client_stream';

/** How the backends said "too much": a remote overload answer or a deadline that passed. */
function overloaded(error: unknown): boolean {
  if (!hasStatusCode(error)) return false;
  return error.code === status.RESOURCE_EXHAUSTED || error.code === status.DEADLINE_EXCEEDED || (error.code === status.UNAVAILABLE && !isLocalRefusal(error));
}

/**
 * Client and handler wrapper: a concurrency limit that adapts to measured latency (TCP Vegas, see
 * src/limit/vegas.ts for why not gradient2), per service.
 * - Client: at most `limit` calls in flight; one beyond it fails at once with RESOURCE_EXHAUSTED /
 *   `concurrency_limit` (a local refusal: never retried, never counted against a node). Adaptive
 *   client-side throttling (SRE) refuses, with reason `throttled`, the share of calls the servers have been
 *   refusing beyond `k` × what they accept. Put it outermost, above `retry()`: it limits calls, not attempts.
 * - Handler: at most `limit` calls in the handler; a call beyond it waits up to `queueMs` in a FIFO (never
 *   past its deadline; a caller that leaves leaves the queue, its handler never started), else is answered
 *   RESOURCE_EXHAUSTED / `concurrency_limit` with `grpc-retry-pushback-ms` (the server's recent latency),
 *   which `retry()` honours, on another node. Put it outermost in `wrapHandler`, so refused calls cost nothing.
 * Unary and client-streaming calls are limited; server-streaming and bidi calls pass through.
 * @example wrapClient(adaptiveLimit(), retry(), leastLoaded(), breaker({ scope: 'node' }), timeout(250)); wrapHandler(adaptiveLimit())
 */
export function adaptiveLimit(options: AdaptiveLimitOptions = {}): AdaptiveLimitWrapper {
  knownKeys(options, ['initialLimit', 'minLimit', 'maxLimit', 'minRttWindowMs', 'queueMs', 'throttle', 'clock', 'random'], 'adaptiveLimit');
  const policy = policyOf(options);
  const queueMs = nonNegativeMs(options.queueMs ?? 10, 'adaptiveLimit: queueMs');
  const throttleOf = throttleFactory(options.throttle);
  const clock = withMethod(options.clock ?? monotonicClock, 'adaptiveLimit: clock', 'now');
  const random = func(options.random ?? Math.random, 'adaptiveLimit: random');

  interface ClientState { limiter: VegasLimit; inFlight: number; throttle: Throttle | undefined }
  const clients = new Map<string, ClientState>();
  const handlers = new Map<string, Admission>();

  return {
    name: 'adaptiveLimit',
    client: (next, method) => {
      if (!limited(method.kind)) return next;
      let state = clients.get(method.service);
      if (state === undefined) clients.set(method.service, (state = { limiter: new VegasLimit({ ...policy, initialLimit: options.initialLimit ?? Math.min(policy.maxLimit, Math.max(policy.initialLimit, CLIENT_INITIAL_LIMIT)), remeasure: false, inUse: 1, alpha: 3, beta: 6 }), inFlight: 0, throttle: throttleOf() }));
      const own = state;
      return (request, ctx) => {
        const start = clock.now();
        if (own.throttle?.refuse(start, random())) {
          return Promise.reject(keelError('throttled', `${ctx.service}: refused locally, the servers have been refusing much of this client's traffic`));
        }
        if (own.inFlight >= own.limiter.limit) {
          return Promise.reject(keelError('concurrency_limit', `${ctx.service}: ${own.inFlight} calls in flight, at this client's adaptive limit`));
        }
        const inFlight = ++own.inFlight;
        ctx.onEnd((error) => {
          own.inFlight--;
          // A refusal from a layer below (rate limit, open circuit) or the caller's cancel says nothing of latency.
          if (error !== undefined && (isKeelError(error, 'cancelled') || (isLocalRefusal(error) && !isKeelError(error, 'deadline')))) return;
          const now = clock.now();
          const dropped = error !== undefined && overloaded(error);
          own.throttle?.record(!dropped, now);
          // A call that took more than one attempt spent its time on a node that failed or hung (the balancer's
          // and the breaker's business) or waiting a retry's backoff: its latency says nothing of a queue.
          if (!dropped && ctx.tried.length > 1) return;
          own.limiter.sample(now - start, inFlight, dropped, start, now);
        });
        return next(request, ctx);
      };
    },
    handler: (next, method) => {
      if (!limited(method.kind)) return next;
      let admission = handlers.get(method.service);
      if (admission === undefined) handlers.set(method.service, (admission = new Admission({ ...policy, remeasure: true, inUse: 0.5, alpha: 2, beta: 4 }, queueMs, clock)));
      const own = admission;
      /** The answer to a call refused for the limit: A6's pushback trailer tells the caller's retry when to try again. */
      const refusal = (ctx: Parameters<typeof next>[1]): unknown => {
        // The no-load latency: about when a slot frees on a node that is not overloaded. The caller's retry
        // goes to another node after it, and its budget bounds how many do.
        const baseline = own.limiter.baselineMs;
        ctx.trailer.set(PUSHBACK, String(Number.isFinite(baseline) ? Math.max(1, Math.ceil(baseline)) : 1));
        return keelError('concurrency_limit', `${method.service} is at its concurrency limit (${own.limiter.limit} in flight); not started`);
      };
      const run = (request: unknown, ctx: Parameters<typeof next>[1]): Promise<unknown> => {
        const startedAt = clock.now();
        const inFlight = ++own.inFlight;
        let result: Promise<unknown>;
        try {
          result = next(request, ctx);
        } catch (err) {
          result = Promise.reject(err);
        }
        const done = (error: unknown): void => {
          const now = clock.now();
          // A call whose caller had gone before the handler started ended at once: no latency to learn from.
          if (error !== undefined && wasSkipped(error)) return own.ended(undefined, inFlight, false, startedAt);
          const late = ctx.deadline !== undefined && Date.now() > ctx.deadline;
          own.ended(now - startedAt, inFlight, late || (error !== undefined && hasStatusCode(error) &&
            (error.code === status.DEADLINE_EXCEEDED || error.code === status.CANCELLED)), startedAt);
        };
        result.then(() => done(undefined), done);
        return result;
      };
      return (request, ctx) => {
        if (own.free()) return run(request, ctx);
        return new Promise((resolve, reject) => {
          const start = (): void => void run(request, ctx).then(resolve, reject);
          if (!own.wait(ctx, start, reject, () => refusal(ctx))) reject(refusal(ctx));
        });
      };
    },
    limits() {
      const now = clock.now();
      const rows: LimitState[] = [];
      for (const [service, s] of clients) {
        rows.push({ side: 'client', service, limit: s.limiter.limit, inFlight: s.inFlight, baselineMs: s.limiter.baselineMs, queued: 0, throttle: s.throttle?.probability(now) ?? 0 });
      }
      for (const [service, a] of handlers) {
        rows.push({ side: 'handler', service, limit: a.limiter.limit, inFlight: a.inFlight, baselineMs: a.limiter.baselineMs, queued: a.queued, throttle: 0 });
      }
      return rows;
    },
  };
}

function policyOf(options: AdaptiveLimitOptions): Omit<VegasPolicy, 'remeasure' | 'inUse' | 'alpha' | 'beta'> {
  const minLimit = integer(options.minLimit ?? 1, 'adaptiveLimit: minLimit', 1);
  const maxLimit = integer(options.maxLimit ?? 1000, 'adaptiveLimit: maxLimit', minLimit);
  const initialLimit = integer(options.initialLimit ?? Math.min(maxLimit, Math.max(minLimit, HANDLER_INITIAL_LIMIT)), 'adaptiveLimit: initialLimit', minLimit);
  if (initialLimit > maxLimit) throw new RangeError(`adaptiveLimit: initialLimit (${initialLimit}) must be <= maxLimit (${maxLimit})`);
  return { initialLimit, minLimit, maxLimit, minRttWindowMs: positiveMs(options.minRttWindowMs ?? 30_000, 'adaptiveLimit: minRttWindowMs') };
}

function throttleFactory(given: AdaptiveLimitOptions['throttle']): () => Throttle | undefined {
  if (given === false) return () => undefined;
  if (given !== undefined && (typeof given !== 'object' || given === null)) {
    throw new TypeError(`adaptiveLimit: throttle must be { k, windowMs } or false, got ${describe(given)}`);
  }
  knownKeys(given, ['k', 'windowMs'], 'adaptiveLimit: throttle');
  const k = numberIn(given?.k ?? 2, 'adaptiveLimit: throttle.k', 1);
  const windowMs = positiveMs(given?.windowMs ?? 10_000, 'adaptiveLimit: throttle.windowMs');
  return () => new Throttle(k, windowMs);
}
