import type { Wrapper } from '../src/call';
import { RoundRobinSelector } from '../src/select/round-robin';

/**
 * Client wrapper: successive calls rotate over the service's current nodes. With k nodes, n calls give
 * each node ⌊n/k⌋ or ⌈n/k⌉. One rotation per service per wrapper instance, starting at a random offset
 * and keeping its place when nodes join or leave; nodes vetoed by other wrappers (an open per-node
 * circuit) are skipped.
 * @example createClient(Basis, 'basis', { wrap: wrapClient(roundRobin()) })
 */
export function roundRobin(): Wrapper {
  const selector = new RoundRobinSelector();
  return {
    name: 'roundRobin',
    client: (next) => (request, ctx) => {
      ctx.selector = selector;
      return next(request, ctx);
    },
  };
}
