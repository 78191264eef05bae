import type { Call, CallContext } from '../call/contract';

/** How one attempt was decided: unary and client-streaming by the response; streams by the first message. */
export type Decided = { ok: true; value: unknown } | { ok: false; error: unknown };

/**
 * Runs one attempt with `next` and resolves once it is decided, without rejecting. Unary and client-
 * streaming calls are decided by their response. Server-streaming and bidi calls by their first response
 * message (or their end, if none comes): until then nothing reached the caller, so the call may still be
 * retried (gRPC A6's commit point); after it, `value` is a stream that hands out that first message and
 * then the rest of the attempt's.
 */
export async function runAttempt(next: Call, request: unknown, ctx: CallContext): Promise<Decided> {
  let result: unknown;
  try {
    result = await next(request, ctx);
  } catch (error) {
    return { ok: false, error };
  }
  if (ctx.kind === 'unary' || ctx.kind === 'client_stream') return { ok: true, value: result };
  const it = (result as AsyncIterable<unknown>)[Symbol.asyncIterator]();
  let first: IteratorResult<unknown>;
  try {
    first = await it.next();
  } catch (error) {
    return { ok: false, error };
  }
  return { ok: true, value: committed(first, it) };
}

/** An attempt's stream, its first step already read. Leaving it early cancels the attempt. */
function committed(first: IteratorResult<unknown>, it: AsyncIterator<unknown>): AsyncIterable<unknown> {
  let pending: IteratorResult<unknown> | undefined = first;
  return {
    [Symbol.asyncIterator]: () => ({
      next: () => {
        const step = pending;
        pending = undefined;
        return step !== undefined ? Promise.resolve(step) : it.next();
      },
      return: async (value?: unknown) => {
        pending = undefined;
        return (await it.return?.(value)) ?? { value: undefined, done: true };
      },
    }),
  };
}

/** Abandons a decided-but-unwanted attempt (a hedging loser that answered late): a stream is cancelled. */
export function discard(decided: Decided): void {
  if (!decided.ok || decided.value === null || typeof decided.value !== 'object') return;
  const iterable = decided.value as Partial<AsyncIterable<unknown>>;
  const iterate = iterable[Symbol.asyncIterator];
  if (typeof iterate === 'function') Promise.resolve(iterate.call(iterable).return?.()).catch(() => undefined);
}
