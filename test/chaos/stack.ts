import { breaker, createClient, leastLoaded, localRegistry, retry, timeout, wrapClient, type ClientWrapper, type RetryWrapper, type Wrapper } from '../../src/index';
import { Basis } from '../../examples/basis/proto';

/** One attempt as the innermost wrapper saw it: when it started (epoch ms), the node, how it ended. */
export interface AttemptRecord {
  t: number;
  address: string | undefined;
  error: unknown;
}

/** Innermost: logs every attempt, so a scenario can tell which node was called when. */
export function attemptLog(log: AttemptRecord[]): ClientWrapper {
  return (next) => (request, ctx) => {
    const record: AttemptRecord = { t: Date.now(), address: undefined, error: undefined };
    ctx.onEnd((error) => {
      record.address = ctx.node?.address;
      record.error = error;
      log.push(record);
    });
    return next(request, ctx);
  };
}

/**
 * The README's recommended client stack: retry outermost (each retry a fresh attempt below it), then node
 * choice by load, the per-node breaker (records each attempt against its node, ejects), the per-attempt timeout
 * (shorter than the call's, so a hung node costs one attempt, not the call). The servers run the recommended
 * server stack, `adaptiveLimit()` (chaos-server.ts).
 */
export function recommended(attemptMs: number, breakerOptions: Parameters<typeof breaker>[0] = {},
  retryOptions: Parameters<typeof retry>[0] = {}): Array<Wrapper | RetryWrapper> {
  return [retry(retryOptions), leastLoaded(), breaker({ scope: 'node', ...breakerOptions }), timeout(attemptMs)];
}

export function chaosClient(dir: string, timeoutMs: number, wrappers: Array<Wrapper | ClientWrapper>) {
  return createClient(Basis, 'basis', { registry: localRegistry({ dir }), timeoutMs, wrap: wrapClient(...wrappers) });
}
