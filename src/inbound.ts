import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * What a call made while serving another inherits from it, as Go's `ctx` carries them: the inbound call's
 * deadline and its cancellation. A handler's `HandlerContext` is one.
 */
export interface InboundCall {
  /** Epoch ms, or undefined when the inbound call has no deadline. */
  readonly deadline: number | undefined;
  /** Aborts when the inbound call's caller goes away (cancels, or its deadline passes). */
  readonly signal: AbortSignal;
}

/**
 * The inbound call being served, for whatever the handler runs — directly or deep in its own async code.
 * One store per process (per copy of keel): a call knows the handler it is made from, whichever server or
 * client of the process is involved, as a Go `ctx` travels through a program.
 */
const store = new AsyncLocalStorage<InboundCall>();

/** Runs `fn(...args)` as part of serving `inbound`: calls it makes (and its async continuations) inherit it. */
export function runInbound<A extends unknown[], R>(inbound: InboundCall, fn: (...args: A) => R, ...args: A): R {
  return store.run(inbound, fn, ...args);
}

/** The inbound call the current code serves, if any: one `AsyncLocalStorage.getStore()`. */
export function currentInbound(): InboundCall | undefined {
  return store.getStore();
}

/**
 * Runs `fn` apart from the inbound call being served, as Go's `context.WithoutCancel`: calls it makes, now or
 * later in its async code, inherit neither the inbound deadline nor its cancellation. For work that must
 * outlive the caller (a write-behind, an audit log). One call alone: the call option `{ inherit: false }`.
 * @example server.addService(Orders, { Place: async (req) => { const order = await save(req); detach(() => void audit.log(order)); return order; } })
 */
export function detach<R>(fn: () => R): R {
  return store.exit(fn);
}
