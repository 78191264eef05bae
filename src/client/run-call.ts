import { Metadata } from '@grpc/grpc-js';
import { settled } from '../call/boundary';
import type { Call, CallContext, MethodInfo, Selector } from '../call/contract';
import { Attempt, CallState, ClientContext, type StreamHooks } from '../call/context';
import { randomSelector } from '../select/random';

// A call run as a client runs it: `createClient` for each call of a method, and wrapper and selector
// authors through `callContext` + `runCall`, to test theirs without a client.

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
