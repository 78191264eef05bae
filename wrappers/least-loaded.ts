import type { Wrapper } from '../src/call';
import { func, knownKeys, positiveMs, withMethod } from '../src/options';
import { monotonicClock, type Clock } from '../src/time/clock';
import { LeastLoadedSelector, type NodeLoad } from '../src/select/least-loaded';

export type { NodeLoad } from '../src/select/least-loaded';

export interface LeastLoadedOptions {
  /**
   * How fast a node's latency estimate forgets: the time constant of its decay (Finagle's and Linkerd's
   * `decayTime`, 10 s there). Shorter: a node that was slow is tried again sooner, and one slow answer from a
   * good node (a GC pause, a busy host) costs it traffic for less long; longer: a node that is still slow is
   * probed less often. Default 2000: a node back from a 250 ms timeout is tried again within ~8 s.
   */
  decayMs?: number;
  /** A node failure (UNAVAILABLE, INTERNAL, UNKNOWN, DATA_LOSS) counts as a latency of at least this. Default 100. */
  failurePenaltyMs?: number;
  /** Time source. Default: monotonic `performance.now()`. */
  clock?: Clock;
  /** Random source in [0, 1), for tests. Default `Math.random`. */
  random?: () => number;
}

/** What `leastLoaded()` returns: the wrapper, and its view of every node's load. */
export interface LeastLoadedWrapper extends Wrapper {
  /** Every node's latency estimate, attempts in flight and cost now (for dashboards and metrics). */
  nodes(): NodeLoad[];
}

/**
 * Client wrapper: sends each attempt to the less loaded of two random nodes (power of two choices), the
 * load being a peak-EWMA latency × (attempts in flight + 1), as Finagle and Linkerd balance. The peer of
 * `roundRobin()` — same place in a stack, and the same respect for the breaker's ejections and for retries
 * going to untried nodes first — for fleets whose nodes are not all equally fast:
 * - a node that answers slowly, or times out, gets almost nothing until a probe finds it fast again;
 * - a node slower than its peers (12 ms against 2 ms) gets the small share its speed earns;
 * - a node that fails fast does not look fast: each failure counts as at least `failurePenaltyMs`;
 * - attempts cancelled by `hedge()` or ended by `timeout()` count for the time they had taken;
 * - under overload every node's cost rises together, and the in-flight term spreads the work evenly.
 * Cost on a healthy fleet: two map look-ups and a few multiplications per attempt (see bench/).
 * @example createClient(Basis, 'basis', { wrap: wrapClient(retry(), leastLoaded(), breaker({ scope: 'node' }), timeout(250)) })
 */
export function leastLoaded(options: LeastLoadedOptions = {}): LeastLoadedWrapper {
  knownKeys(options, ['decayMs', 'failurePenaltyMs', 'clock', 'random'], 'leastLoaded');
  const decayMs = positiveMs(options.decayMs ?? 2000, 'leastLoaded: decayMs');
  const failurePenaltyMs = positiveMs(options.failurePenaltyMs ?? 100, 'leastLoaded: failurePenaltyMs');
  const clock = withMethod(options.clock ?? monotonicClock, 'leastLoaded: clock', 'now');
  const random = func(options.random ?? Math.random, 'leastLoaded: random');
  const selector = new LeastLoadedSelector({ decayMs, failurePenaltyMs, clock, random });
  return {
    name: 'leastLoaded',
    client: (next) => (request, ctx) => {
      ctx.selector = selector;
      return next(request, ctx);
    },
    nodes: () => selector.nodes(),
  };
}
