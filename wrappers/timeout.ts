import type { Wrapper } from '../src/call';
import { boolean, knownKeys, positiveMs } from '../src/options';

export interface TimeoutOptions {
  /** Also bound streaming calls (all three kinds), from their start to their end. Default false: unary only. */
  streams?: boolean;
}

/**
 * Client wrapper: bounds every attempt that passes through it to `ms` (its deadline becomes the earlier of
 * its own and now + ms; the server sees it). Inside a wrapper that retries, that is a per-attempt timeout;
 * the call's own deadline (the client's `timeoutMs`, a per-call `timeoutMs` or `deadline`) still bounds
 * the whole call.
 * @example wrapClient(roundRobin(), timeout(200), breaker())
 */
export function timeout(ms: number, options: TimeoutOptions = {}): Wrapper {
  knownKeys(options, ['streams'], 'timeout');
  const limitMs = positiveMs(ms, 'timeout: ms');
  const streams = boolean(options.streams ?? false, 'timeout: streams');
  return {
    name: 'timeout',
    client: (next, method) => {
      if (!streams && method.kind !== 'unary') return next;
      return (request, ctx) => {
        const limit = Date.now() + limitMs;
        if (ctx.deadline === undefined || ctx.deadline > limit) ctx.deadline = limit;
        return next(request, ctx);
      };
    },
  };
}
