import type { CallContext, Wrapper } from '../src/call';
import { describe } from '../src/address';
import { Backoff, type BackoffOptions } from '../src/backoff';
import { cancelled } from '../src/errors';
import { integer, knownKeys, optionalFunction, withMethod } from '../src/options';
import { type ServiceNode } from '../src/registry/registry';
import { monotonicClock, type Clock } from '../src/time/clock';
import { runAttempt, type Decided } from '../src/retry/attempt';
import { sleep } from '../src/time/sleep';
import type { RetryBudget, RetryBudgetOptions } from '../src/retry/budget';
import { Replay } from '../src/retry/replay';
import { IDEMPOTENT_CODES, neverSent, pushback, retryable } from '../src/retry/retryable';
import { budgetOf, idempotencyOf, type Idempotency } from '../src/retry/shared-options';
import type { Requests } from '../src/stream/requests';
import { firstInCall, mayTryAgain } from '../src/call';

/**
 * No retry starts with less of the call's deadline left than this: a loopback attempt's p99 measured here
 * under load was 14–30 ms (the rate limiter's minRemainingMs is chosen from the same figures).
 */
const MIN_ATTEMPT_MS = 50;

/** What `onRetry` is told before each retry. */
export interface RetryEvent {
  service: string;
  method: string;
  /** The attempt about to start (2 for the first retry). */
  attempt: number;
  /** Why the previous attempt failed. */
  error: unknown;
  /** The node the failed attempt went to, when it got one. */
  node: ServiceNode | undefined;
  /** How long the retry waits first. */
  delayMs: number;
}

export interface RetryOptions {
  /** Attempts per call, the first included. Default 3. A call's own `maxAttempts` option may lower or raise it. */
  maxAttempts?: number;
  /** Waits between attempts (exponential, jittered). Default `{ initialMs: 25, maxMs: 1000, multiplier: 2, jitter: 'full' }`. */
  backoff?: BackoffOptions | Backoff;
  /**
   * Caps retries across calls: a `RetryBudget` (share one with `hedge()`), its options, or `false` for none.
   * Default: a budget of this wrapper's own, 20 % of calls + 10/s.
   */
  budget?: RetryBudget | RetryBudgetOptions | false;
  /**
   * Which methods may be retried after the request may have reached the server: `true` (all), `false`
   * (none), method paths, or a predicate. Default: the proto's `idempotency_level` (NO_SIDE_EFFECTS or
   * IDEMPOTENT) when the definition carries it (proto-loader does), else none.
   */
  idempotent?: Idempotency;
  /** gRPC codes retried for idempotent methods. Default UNAVAILABLE, DEADLINE_EXCEEDED (of one attempt), RESOURCE_EXHAUSTED. */
  codes?: readonly number[];
  /** Client-streaming and bidi: request messages kept for replay; a call that sent more is not retried. Default 64. */
  replayLimit?: number;
  /** Told before each retry, for logs and metrics. */
  onRetry?: (event: RetryEvent) => void;
  /** Time source for the budget. Default: monotonic `performance.now()`. */
  clock?: Clock;
}

/** What `retry()` returns: the wrapper, and the budget it spends (pass it to `hedge()` to share it). */
export interface RetryWrapper extends Wrapper {
  readonly budget: RetryBudget | undefined;
}

/**
 * Client wrapper: retries a failed attempt on another node. Put it outermost of the wrappers that act per
 * attempt (node choice, breaker, per-attempt `timeout()`, tracing): each of its retries is a fresh attempt
 * below it.
 * - Each retry goes to a node no earlier attempt of the call used while one is left, after a jittered
 *   exponential backoff (none before the first retry of a request that was never sent); every attempt
 *   shares the call's deadline, and no retry starts that its backoff would carry to within 50 ms of it.
 * - Retried: a request that never reached the server (no connection, a refused stream), for any method;
 *   for idempotent methods also `codes` (UNAVAILABLE, a per-attempt DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED).
 *   Never this process's own refusals (`rate_limited`, `circuit_open`, `no_nodes`, `cancelled`, …).
 * - A retry budget (default 20 % of calls + 10/s over 10 s) bounds the extra load when everything fails;
 *   a server's `grpc-retry-pushback-ms` replaces the backoff (a negative one stops retries).
 * - Streams: retried until their first response message arrives; from then on the call is committed.
 *   Client-streaming and bidi requests are kept for replay up to `replayLimit` messages.
 * - Per call: `{ maxAttempts: 1 }` turns retries off, any other value sets the attempts.
 * @example wrapClient(retry(), roundRobin(), breaker({ scope: 'node' }), timeout(200), tracing())
 */
export function retry(options: RetryOptions = {}): RetryWrapper {
  knownKeys(options, ['maxAttempts', 'backoff', 'budget', 'idempotent', 'codes', 'replayLimit', 'onRetry', 'clock'], 'retry');
  const maxAttempts = integer(options.maxAttempts ?? 3, 'retry: maxAttempts', 1);
  const backoff = options.backoff instanceof Backoff ? options.backoff : new Backoff(options.backoff, Math.random, 'retry: backoff');
  const budget = budgetOf(options.budget, 'retry');
  const isIdempotent = idempotencyOf(options.idempotent, 'retry');
  const codes = codesOf(options.codes, 'retry');
  const replayLimit = integer(options.replayLimit ?? 64, 'retry: replayLimit', 0);
  const onRetry = optionalFunction(options.onRetry, 'retry: onRetry');
  const clock = withMethod(options.clock ?? monotonicClock, 'retry: clock', 'now');

  return {
    name: 'retry',
    budget,
    client: (next, method) => {
      const idempotent = isIdempotent(method);
      const streamsRequests = method.kind === 'client_stream' || method.kind === 'bidi';
      return async (request, ctx) => {
        const limit = ctx.maxAttempts ?? maxAttempts;
        if (budget !== undefined && firstInCall(ctx, budget)) budget.deposit(clock.now());
        if (limit === 1) return next(request, ctx);
        mayTryAgain(ctx);
        const replay = streamsRequests ? new Replay(request as Requests<unknown>, replayLimit) : undefined;
        try {
          for (let attempt = 1; ; attempt++) {
            const reader = replay?.attempt();
            const decided: Decided = await runAttempt(next, reader ?? request, ctx);
            if (decided.ok) {
              if (reader !== undefined) replay?.commit(reader);
              return decided.value;
            }
            const error = decided.error;
            const delayMs = retryDelay(error, attempt, ctx);
            if (delayMs === undefined || attempt >= limit || (replay !== undefined && !replay.replayable) ||
                !retryable(error, idempotent, codes) || (budget !== undefined && !budget.withdraw(clock.now()))) {
              throw error;
            }
            onRetry?.({ service: ctx.service, method: ctx.method, attempt: attempt + 1, error, node: ctx.node, delayMs });
            await sleep(delayMs, ctx.signal, () => cancelled());
            // Timers fire late on a busy machine: an attempt that would start with next to no time left only
            // turns the caller's real error into DEADLINE_EXCEEDED, so the last attempt's error stands instead.
            if (ctx.deadline !== undefined && ctx.deadline - Date.now() < MIN_ATTEMPT_MS) throw error;
          }
        } catch (err) {
          replay?.close();
          throw err;
        }
      };
    },
  };

  /** The wait before the next attempt, or undefined when none may start (pushback says stop, or the deadline is too near). */
  function retryDelay(error: unknown, attempt: number, ctx: CallContext): number | undefined {
    if (ctx.signal?.aborted) return undefined;
    const pushed = pushback(error);
    if (pushed === 'stop') return undefined;
    // A request that never left is retried at once the first time: another node is likely up (a fleet-wide
    // outage is what the backoff and the budget are for).
    const delayMs = pushed ?? (attempt === 1 && neverSent(error) ? 0 : backoff.delayMs(attempt));
    if (ctx.deadline !== undefined && Date.now() + delayMs + MIN_ATTEMPT_MS > ctx.deadline) return undefined;
    return delayMs;
  }
}

function codesOf(given: readonly number[] | undefined, where: string): ReadonlySet<number> {
  if (given === undefined) return IDEMPOTENT_CODES;
  if (!Array.isArray(given) || !given.every((c) => Number.isInteger(c) && c > 0 && c <= 16)) {
    throw new RangeError(`${where}: codes must be an array of gRPC status codes (1-16), got ${describe(given)}`);
  }
  return new Set(given);
}
