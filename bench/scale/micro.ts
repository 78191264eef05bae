import { performance } from 'node:perf_hooks';
import { Circuit, randomSelector, RoundRobinSelector, TokenBucket, type CallContext, type NodeFilter, type Selector, type ServiceNode } from '../../src/index';
import { fakeNodes } from './fixed-registry';
import { fakeContext, nodeBreakerFilter } from '../shared/call-context';
import { nsPerOp } from '../shared/time-loop';

export interface SelectionRow {
  nodes: number;
  /** ns per pick. */
  random: number;
  roundRobin: number;
  /**
   * Round robin asking a per-node breaker filter (`breaker({ scope: 'node' })`) about each pick, once
   * every node has its circuit; NaN when making the circuits did not finish within the time bound.
   */
  roundRobinNodeBreaker: number;
  /** µs to make one more node's circuit (its first pick), over the last 100 made. */
  newCircuitUs: number;
  /** Circuits made (all N unless the time bound ran out). */
  circuitsMade: number;
}

export interface DecisionRates {
  /** TokenBucket.take(now) that admits (time advancing one interval per take), decisions per second. */
  bucketAdmit: number;
  /** TokenBucket.take(now) that refuses (no time passes), decisions per second. */
  bucketRefuse: number;
  /** Circuit.allow(now) + record('success', now) on a closed circuit, calls per second. */
  circuit: number;
}

function picks(selector: Selector, nodes: ServiceNode[], ctx: CallContext, maxMs: number): number {
  return nsPerOp((batch) => {
    let last: ServiceNode | undefined;
    for (let i = 0; i < batch; i++) last = selector.pick(nodes, ctx);
    return last;
  }, maxMs);
}

/**
 * Makes every node's circuit (the first pick of each node does), within `budgetMs`: returns how many were
 * made and the µs each of the last 100 took.
 */
function makeCircuits(filter: NodeFilter, nodes: ServiceNode[], ctx: CallContext, budgetMs: number): { made: number; lastUs: number } {
  const end = performance.now() + budgetMs;
  let made = 0;
  let lastUs = NaN;
  while (made < nodes.length && performance.now() < end) {
    const batch = Math.min(100, nodes.length - made);
    const t0 = performance.now();
    for (let i = 0; i < batch; i++) filter.accept(nodes[made + i] as ServiceNode, ctx);
    lastUs = ((performance.now() - t0) * 1000) / batch;
    made += batch;
  }
  return { made, lastUs };
}

/** Selection cost in ns per pick for each number of registered nodes. */
export function selectionCost(sizes: number[], maxMs: number, circuitBudgetMs: number): SelectionRow[] {
  return sizes.map((n) => {
    const nodes = fakeNodes('scale', n);
    const plain = fakeContext('scale');
    const filter = nodeBreakerFilter(); // a fresh breaker per size: its circuits are this size's
    const filtered = { ...fakeContext('scale'), filters: [filter] };
    const { made, lastUs } = makeCircuits(filter, nodes, filtered, circuitBudgetMs);
    return {
      nodes: n,
      random: picks(randomSelector, nodes, plain, maxMs),
      roundRobin: picks(new RoundRobinSelector(), nodes, plain, maxMs),
      roundRobinNodeBreaker: made === n ? picks(new RoundRobinSelector(), nodes, filtered, maxMs) : NaN,
      newCircuitUs: lastUs,
      circuitsMade: made,
    };
  });
}

export function decisionRates(maxMs: number): DecisionRates {
  const perSecond = (ns: number): number => 1e9 / ns;
  const admitBucket = new TokenBucket(1000, 1, 0);
  let now = 0;
  const bucketAdmit = nsPerOp((batch) => {
    let ok = 0;
    for (let i = 0; i < batch; i++) {
      now += 1; // one interval at 1000/s: every take admits
      if (admitBucket.take(now)) ok++;
    }
    return ok;
  }, maxMs);
  const refuseBucket = new TokenBucket(1, 1, 0);
  refuseBucket.take(0);
  const bucketRefuse = nsPerOp((batch) => {
    let ok = 0;
    for (let i = 0; i < batch; i++) if (refuseBucket.take(1)) ok++;
    return ok;
  }, maxMs);
  const circuit = new Circuit({ errorThresholdPercentage: 50, volumeThreshold: 20, sleepWindowMs: 5000, rollingWindowMs: 10_000,
    rollingBuckets: 10, probeTimeoutMs: 2000 });
  const owner = {};
  let t = 0;
  const circuitNs = nsPerOp((batch) => {
    let ok = 0;
    t += 1; // 1 ms per batch: the rolling window turns over as in real use
    for (let i = 0; i < batch; i++) {
      if (circuit.allow(t, owner)) ok++;
      circuit.record('success', t, owner);
    }
    return ok;
  }, maxMs);
  return { bucketAdmit: perSecond(bucketAdmit), bucketRefuse: perSecond(bucketRefuse), circuit: perSecond(circuitNs) };
}
