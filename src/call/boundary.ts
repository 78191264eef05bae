import type { Call, CallContext } from './contract';
import { ClientContext } from './context';

/** Runs `inner` as the layer below `ctx`: the boundary between two wrappers, and above the network. */
export function enter(inner: Call, request: unknown, ctx: CallContext): Promise<unknown> {
  if (!(ctx instanceof ClientContext)) {
    return Promise.reject(new TypeError('keel: pass next() the context your wrapper received (set its fields; do not copy it)'));
  }
  return settled(inner, request, ctx.passOn());
}

/** `call(request, ctx)`, a synchronous throw made a rejection, its result handed to ctx's end listeners. */
export function settled(call: Call, request: unknown, ctx: ClientContext): Promise<unknown> {
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
