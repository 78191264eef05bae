import type { CallContext } from './contract';
import { ClientContext, type CallScope } from './context';

/** The scope of `ctx`'s call when a layer above may start another attempt of it (`mayTryAgain`), else undefined. */
export function callScope(ctx: CallContext): CallScope | undefined {
  return ctx instanceof ClientContext ? ctx.scope : undefined;
}
