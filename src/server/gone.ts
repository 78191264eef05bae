import type { Handler, HandlerContext } from '../call/contract';
import { keelError, type KeelError } from '../errors';
import { ServerCallContext } from './handler-context';

/** Errors of calls whose handler never ran: what `wasSkipped` recognizes (metrics() counts them). */
const skipped = new WeakSet<object>();

/**
 * True when the caller of this call has gone: it cancelled, or its deadline has passed (checked against
 * `now` too, since the timer that would cancel the call fires late on a loaded server). A handler wrapper
 * that queues calls should drop such a call from its queue rather than start it. `now`: epoch ms.
 * @example if (gone(ctx)) return Promise.reject(notStarted(ctx));
 */
export function gone(ctx: HandlerContext, now = Date.now()): boolean {
  // ServerCallContext knows without making the signal (a controller per call) that most handlers never ask for.
  const cancelled = ctx instanceof ServerCallContext ? ctx.cancelled : ctx.signal.aborted;
  return cancelled || (ctx.deadline !== undefined && ctx.deadline <= now);
}

/**
 * The error a call whose caller has gone is answered with, its handler not run: DEADLINE_EXCEEDED / `deadline`
 * when its deadline has passed, else CANCELLED / `cancelled`. `metrics()` counts calls that end with it
 * (`keel.server.skipped`).
 */
export function notStarted(ctx: HandlerContext, now = Date.now()): KeelError {
  const err = ctx.deadline !== undefined && ctx.deadline <= now
    ? keelError('deadline', 'the deadline passed before the handler started: it was not run')
    : keelError('cancelled', 'the caller had gone before the handler started: it was not run');
  skipped.add(err);
  return err;
}

/** True when `err` ended a call whose handler was never run (see `notStarted`). */
export function wasSkipped(err: unknown): boolean {
  return typeof err === 'object' && err !== null && skipped.has(err);
}

/**
 * The user's handler, innermost under the handler wrappers: it starts only if its caller is still there, so
 * that a call held in a wrapper's queue (or a slow wrapper) past its deadline, or cancelled meanwhile, is
 * answered at once instead of worked on for nobody.
 */
export function startUnlessGone(handler: (request: any, ctx: HandlerContext) => unknown): Handler {
  return (request, ctx) => {
    const now = Date.now();
    if (gone(ctx, now)) return Promise.reject(notStarted(ctx, now));
    try {
      return Promise.resolve(handler(request, ctx)) as Promise<any>;
    } catch (err) {
      return Promise.reject(err);
    }
  };
}
