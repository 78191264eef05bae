import type { Wrapper } from '../src/call';
import { cancelled, deadlineExceeded } from '../src/errors';
import { integer, knownKeys, optionalFunction, positiveMs, withMethod } from '../src/options';
import { monotonicClock, type Clock } from '../src/time/clock';
import { discard, runAttempt, type Decided } from '../src/retry/attempt';
import type { RetryBudget, RetryBudgetOptions } from '../src/retry/budget';
import { Replay } from '../src/retry/replay';
import { budgetOf, idempotencyOf, type Idempotency } from '../src/retry/shared-options';
import { IDEMPOTENT_CODES, retryable } from '../src/retry/retryable';
import type { Requests } from '../src/stream/requests';
import { firstInCall, mayTryAgain, withSignal } from '../src/call';

/** What `onHedge` is told when a hedged attempt starts. */
export interface HedgeEvent {
  service: string;
  method: string;
  /** The attempt starting (2 for the first hedge). */
  attempt: number;
  /** Why: no answer after delayMs (`slow`), or every attempt so far failed (`failed`). */
  why: 'slow' | 'failed';
}

export interface HedgeOptions {
  /** Send another attempt when none answered within this long. Default 50. Set it near the method's p95. */
  delayMs?: number;
  /** At most this many attempts per call, all outstanding at once at worst. Default 2. */
  maxAttempts?: number;
  /** Caps hedged attempts across calls; pass `retry()`'s `.budget` to share it. Default: one of its own (20 % + 10/s). */
  budget?: RetryBudget | RetryBudgetOptions | false;
  /** Which methods are hedged (others pass through untouched), as in `retry()`. Default: the proto's `idempotency_level`. */
  idempotent?: Idempotency;
  /** Client-streaming and bidi: request messages kept for the other attempts; past it no hedge starts. Default 64. */
  replayLimit?: number;
  /** Told when a hedged attempt starts. */
  onHedge?: (event: HedgeEvent) => void;
  /** Time source for the budget. Default: monotonic `performance.now()`. */
  clock?: Clock;
}

/**
 * Client wrapper (opt-in, idempotent methods only): when no answer came within `delayMs`, the same request
 * goes to another node too; the first answer wins and the other attempts are cancelled (their servers see
 * the cancellation). An attempt that fails while none other is outstanding starts the next at once, if the
 * failure is retryable. Streams: an answer is the first response message. Hedged attempts spend a retry
 * budget (share `retry()`'s). Per call: `{ maxAttempts: 1 }` turns it off.
 * Put it outermost, before `retry()` if both are used.
 * @example const r = retry(); wrapClient(hedge({ delayMs: 20, budget: r.budget }), r, roundRobin(), breaker({ scope: 'node' }))
 */
export function hedge(options: HedgeOptions = {}): Wrapper {
  knownKeys(options, ['delayMs', 'maxAttempts', 'budget', 'idempotent', 'replayLimit', 'onHedge', 'clock'], 'hedge');
  const delayMs = positiveMs(options.delayMs ?? 50, 'hedge: delayMs');
  const maxAttempts = integer(options.maxAttempts ?? 2, 'hedge: maxAttempts', 1);
  const budget = budgetOf(options.budget, 'hedge');
  const isIdempotent = idempotencyOf(options.idempotent, 'hedge');
  const replayLimit = integer(options.replayLimit ?? 64, 'hedge: replayLimit', 0);
  const onHedge = optionalFunction(options.onHedge, 'hedge: onHedge');
  const clock = withMethod(options.clock ?? monotonicClock, 'hedge: clock', 'now');

  return {
    name: 'hedge',
    client: (next, method) => {
      if (!isIdempotent(method)) return next;
      const streamsRequests = method.kind === 'client_stream' || method.kind === 'bidi';
      return (request, ctx) => {
        const limit = ctx.maxAttempts ?? maxAttempts;
        if (budget !== undefined && firstInCall(ctx, budget)) budget.deposit(clock.now());
        if (limit === 1) return next(request, ctx);
        mayTryAgain(ctx);
        const replay = streamsRequests ? new Replay(request as Requests<unknown>, replayLimit) : undefined;
        const parent = ctx.signal;
        return new Promise((resolve, reject) => {
          const running = new Set<AbortController>();
          let started = 0;
          let done = false;
          let timer: NodeJS.Timeout | undefined;

          const finish = (): void => {
            done = true;
            clearTimeout(timer);
            parent?.removeEventListener('abort', onAbort);
            for (const c of running) c.abort(); // the losers: their servers see the cancellation
            running.clear();
          };
          const fail = (error: unknown): void => {
            finish();
            replay?.close();
            reject(error);
          };
          const onAbort = (): void => fail(cancelled());

          const launch = (why: HedgeEvent['why'] | undefined): void => {
            const controller = new AbortController();
            running.add(controller);
            started++;
            if (why !== undefined) onHedge?.({ service: ctx.service, method: ctx.method, attempt: started, why });
            const reader = replay?.attempt();
            // The attempt's own signal, for its layers below only: a loser is cancelled without the others.
            const attempt = withSignal(ctx, controller.signal, () => runAttempt(next, reader ?? request, ctx));
            attempt.then((decided: Decided) => {
              running.delete(controller);
              if (done) return discard(decided);
              if (decided.ok) {
                if (reader !== undefined) replay?.commit(reader);
                finish();
                return resolve(decided.value);
              }
              if (running.size > 0) return; // another attempt may still answer
              if (canHedge() && retryable(decided.error, true, IDEMPOTENT_CODES)) launch('failed');
              else fail(decided.error);
            });
            clearTimeout(timer);
            if (started < limit) timer = setTimeout(onDelay, delayMs);
          };
          const canHedge = (): boolean => started < limit && !done && (replay === undefined || replay.replayable) &&
            (ctx.deadline === undefined || Date.now() < ctx.deadline) && (budget === undefined || budget.withdraw(clock.now()));
          const onDelay = (): void => {
            if (!done && canHedge()) launch('slow');
          };

          if (parent?.aborted) return reject(cancelled());
          if (ctx.deadline !== undefined && ctx.deadline <= Date.now()) return reject(deadlineExceeded());
          parent?.addEventListener('abort', onAbort, { once: true });
          launch(undefined);
        });
      };
    },
  };
}
