import { Metadata } from '@grpc/grpc-js';
import type { StreamHooks } from '../client/response-stream';
import { randomSelector } from '../select/random';
import type { Call, CallContext, MethodInfo, Selector } from './contract';
import { Attempt, CallState, ClientContext } from './context';

/** Runs `inner` as the layer below `ctx`: the boundary between two wrappers, and above the network. */
export function enter(inner: Call, request: unknown, ctx: CallContext): Promise<unknown> {
  if (!(ctx instanceof ClientContext)) {
    return Promise.reject(new TypeError('keel: pass next() the context your wrapper received (set its fields; do not copy it)'));
  }
  return settled(inner, request, ctx.passOn());
}

/** `call(request, ctx)`, a synchronous throw made a rejection, its result handed to ctx's end listeners. */
function settled(call: Call, request: unknown, ctx: ClientContext): Promise<unknown> {
  let result: Promise<unknown>;
  try {
    result = call(request, ctx);
  } catch (err) {
    result = Promise.reject(err);
  }
  return ctx.settle(result);
}

/** `inner` behind a boundary: what a wrapper receives as `next`. */
export function boundary(inner: Call): Call {
  return (request, ctx) => enter(inner, request, ctx) as Promise<any>;
}

const NO_HOOKS: StreamHooks = Object.freeze({});

/** What `callContext` accepts: the per-call values a client would take from the call's options. */
export interface CallContextInit {
  deadline?: number;
  signal?: AbortSignal;
  metadata?: Metadata;
  selector?: Selector;
  maxAttempts?: number;
}

/**
 * A fresh context for one call of `method`, as a client makes it: for testing wrappers and selectors
 * without a client. Run a call with it through `runCall`, so that its end listeners are told.
 */
export function callContext(method: MethodInfo, init: CallContextInit = {}): CallContext {
  return new ClientContext(new CallState(method, init.signal, NO_HOOKS, init.maxAttempts),
    new Attempt(1, init.metadata ?? new Metadata()), init.deadline, init.selector ?? randomSelector, undefined, undefined);
}

/** Runs `call` with a context from `callContext` as a client would: end listeners are told how it ended. */
export function runCall<Res>(call: Call<any, Res>, request: unknown, ctx: CallContext): Promise<Res> {
  if (!(ctx instanceof ClientContext)) return Promise.reject(new TypeError('runCall: ctx must come from callContext()'));
  return settled(call, request, ctx) as Promise<Res>;
}
