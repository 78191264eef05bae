import type { ServiceNode } from '../registry/registry';
import type { CallContext, NodeFilter } from './contract';
import { ClientContext } from './context';

// The named ways to change an attempt or its call, beyond the fields `CallContext` declares writable
// (`deadline`, `selector`, `signal`). Each takes the context a wrapper received; a context not made by a keel
// client (`createClient`, `callContext`) has no attempt to change, which each function below says how it treats.

/** Adds a veto for what this context passes on (no effect on other calls, attempts or outer layers). */
export function addFilter(ctx: CallContext, filter: NodeFilter): void {
  if (!(ctx instanceof ClientContext)) throw new TypeError('addFilter: pass the context your wrapper received (or one from callContext())');
  ctx.addFilter(filter);
}

/**
 * Records the node this attempt goes to: `ctx.node` reads it from now on, and later attempts of the call see
 * it in `ctx.tried` (node selection, the network call, does this; a stand-in for the network in a test or
 * benchmark does too).
 */
export function recordNode(ctx: CallContext, node: ServiceNode): void {
  if (!(ctx instanceof ClientContext)) throw new TypeError('recordNode: pass a context made by a keel client or callContext()');
  ctx.recordNode(node);
}

/**
 * Runs `fn` (which calls `next`) with `signal` as this layer's signal, so the attempt `fn` starts below sees
 * it and this layer's own is back in place when `fn` returns. For a wrapper that cancels some of its attempts
 * and not others (hedging): `signal` must also abort when `ctx.signal` does.
 */
export function withSignal<T>(ctx: CallContext, signal: AbortSignal | undefined, fn: () => T): T {
  if (!(ctx instanceof ClientContext)) throw new TypeError('withSignal: pass the context your wrapper received');
  return ctx.withSignal(signal, fn);
}

/**
 * True the first time it is asked about `key` during one call, whatever layer or attempt asks: a retry
 * budget that `retry()` and `hedge()` share is deposited once per call, not once per wrapper or attempt.
 * A context not made by a keel client (there is no call to remember it in) always answers true.
 */
export function firstInCall(ctx: CallContext, key: object): boolean {
  if (!(ctx instanceof ClientContext)) return true;
  return ctx.firstInCall(key);
}

/**
 * Called by a wrapper that may run more than one attempt of this call (`retry()`, `hedge()`), before its
 * first: its layer becomes the call's scope, which per-attempt wrappers below see through `callScope`
 * (tracing hangs later attempts' spans under the call's span there). The outermost such layer wins.
 * Calls without one (no retry in the stack, or `maxAttempts: 1`) pay nothing.
 */
export function mayTryAgain(ctx: CallContext): void {
  if (ctx instanceof ClientContext) ctx.markFanOut();
}
