import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { status } from '@grpc/grpc-js';
import { callContext, keelError, LeastLoadedSelector, type CallContext, type NodeFilter, type ServiceNode } from '../../src/index';
import { addFilter } from '../../src/call';
import { PeakEwma } from '../../src/select/peak-ewma';

const node = (id: string): ServiceNode => ({ id, name: 'svc', version: '1', address: `${id}:1`, metadata: {} });
const method = { service: 'svc', method: '/svc.S/M', kind: 'unary' as const, definition: {} as never };
const ctx = (): CallContext => callContext(method);

/** A selector driven by a fake clock and a scripted sequence of random draws. */
function selector(draws: number[] = [], decayMs = 1000) {
  const clock = { t: 0, now() { return this.t; } };
  let i = 0;
  const random = (): number => (draws.length === 0 ? Math.random() : (draws[i++ % draws.length] as number));
  return { s: new LeastLoadedSelector({ decayMs, failurePenaltyMs: 100, clock, random }), clock };
}

/** Places an attempt on `n` and ends it after `ms` with `error`. */
function attempt(s: LeastLoadedSelector, clock: { t: number }, n: ServiceNode, ms: number, error?: unknown): void {
  const end = s.placed(n, ctx());
  clock.t += ms;
  end(error);
}

describe('PeakEwma', () => {
  it('jumps to a higher sample at once, moves toward a lower one by the time since the last, decays toward zero when idle', () => {
    const e = new PeakEwma('a', 'a:1', 2, 0, 1000);
    e.observe(50, 0);
    assert.equal(e.latencyMs(0), 50);
    e.observe(2, 10); // 10 ms later: w = e^-0.01, so barely moved
    assert.ok(e.latencyMs(10) > 48 && e.latencyMs(10) < 50, String(e.latencyMs(10)));
    assert.ok(Math.abs(e.latencyMs(1010) - e.latencyMs(10) * Math.exp(-1)) < 1e-9);
    e.pending = 3;
    assert.ok(Math.abs(e.cost(10) - e.latencyMs(10) * 4) < 1e-9);
  });

  it('atLeast only raises the estimate', () => {
    const e = new PeakEwma('a', 'a:1', 20, 0, 1000);
    e.atLeast(5, 0);
    assert.equal(e.latencyMs(0), 20);
    e.atLeast(250, 0);
    assert.equal(e.latencyMs(0), 250);
  });
});

describe('LeastLoadedSelector: power of two choices over peak-EWMA cost', () => {
  it('of the two random nodes, picks the cheaper', () => {
    const { s, clock } = selector([0, 0]); // i = 0, j = 0 → 1: the pair (a, b)
    const [a, b, c] = [node('a'), node('b'), node('c')];
    const nodes = [a, b, c];
    s.pick(nodes, ctx()); // learn the nodes
    attempt(s, clock, a, 30);
    attempt(s, clock, b, 2);
    assert.equal(s.pick(nodes, ctx()), b);
  });

  it('counts attempts in flight: a node with 3 pending costs 4 times its latency', () => {
    const { s, clock } = selector([0, 0]);
    const [a, b] = [node('a'), node('b')];
    s.pick([a, b], ctx());
    attempt(s, clock, a, 4);
    attempt(s, clock, b, 10);
    assert.equal(s.pick([a, b], ctx()), a);
    for (let i = 0; i < 3; i++) s.placed(a, ctx()); // never ended: in flight
    assert.equal(s.pick([a, b], ctx()), b);
    assert.deepEqual(s.nodes().map((l) => [l.node, l.inFlight]).sort(), [['a', 3], ['b', 0]]);
  });

  it('a slow node is left alone until its estimate decays, then probed', () => {
    const { s, clock } = selector([0, 0], 1000);
    const [slow, fast] = [node('slow'), node('fast')];
    s.pick([slow, fast], ctx());
    attempt(s, clock, fast, 2);
    attempt(s, clock, slow, 250, keelError('deadline', 'attempt timed out'));
    // The fast node keeps answering in 2 ms while time passes: the slow node's estimate decays (τ = 1 s) until,
    // at 250 × e^(−t/1000) < 2, that is t ≈ 4.8 s, it is cheaper than the fast one and gets a probe.
    let firstProbe: number | undefined;
    while (clock.t < 10_000 && firstProbe === undefined) {
      const picked = s.pick([slow, fast], ctx()) as ServiceNode;
      if (picked === slow) firstProbe = clock.t;
      attempt(s, clock, picked, 2);
      clock.t += 8;
    }
    assert.ok(firstProbe !== undefined && firstProbe > 4000 && firstProbe < 6000, `first probe at ${firstProbe} ms`);
  });

  it('a node failure costs at least failurePenaltyMs; an application error is a plain latency sample', () => {
    const { s, clock } = selector();
    const [a, b] = [node('a'), node('b')];
    s.pick([a, b], ctx());
    attempt(s, clock, a, 1, Object.assign(new Error('down'), { code: status.UNAVAILABLE, details: 'down' }));
    attempt(s, clock, b, 3, Object.assign(new Error('no such item'), { code: status.NOT_FOUND, details: 'no such item' }));
    const byNode = Object.fromEntries(s.nodes().map((l) => [l.node, l.latencyMs]));
    assert.ok((byNode.a as number) >= 99, String(byNode.a));
    assert.ok((byNode.b as number) > 2.9 && (byNode.b as number) < 3.1, String(byNode.b));
  });

  it('a cancelled attempt (a hedged loser) counts for the time it had taken, as a lower bound', () => {
    const { s, clock } = selector();
    const [a, b] = [node('a'), node('b')];
    s.pick([a, b], ctx());
    attempt(s, clock, a, 2);
    attempt(s, clock, a, 60, keelError('cancelled', 'hedge won elsewhere'));
    assert.ok((s.nodes().find((l) => l.node === 'a')?.latencyMs as number) >= 59);
  });

  it('a new node starts at the median estimate of its peers, not at zero', () => {
    const { s, clock } = selector();
    const [a, b, c] = [node('a'), node('b'), node('c')];
    s.pick([a, b, c], ctx());
    attempt(s, clock, a, 2);
    attempt(s, clock, b, 10);
    attempt(s, clock, c, 40);
    const d = node('d');
    s.pick([a, b, c, d], ctx());
    s.placed(d, ctx()); // made now if the pick did not draw it
    const est = s.nodes().find((l) => l.node === 'd')?.latencyMs as number;
    assert.ok(est > 5 && est <= 10, String(est));
  });

  it('asks filters in preference order and uses the first node accepted; never asks about a node it does not use', () => {
    const { s, clock } = selector([0, 0]);
    const [a, b, c] = [node('a'), node('b'), node('c')];
    s.pick([a, b, c], ctx());
    attempt(s, clock, a, 1);
    attempt(s, clock, b, 5);
    attempt(s, clock, c, 9);
    const asked: string[] = [];
    const refuseA: NodeFilter = { reason: 'circuit_open', accept: (n) => { asked.push(n.id); return n.id !== 'a'; } };
    const call = ctx();
    addFilter(call, refuseA);
    assert.equal(s.pick([a, b, c], call), b);
    assert.deepEqual(asked, ['a', 'b']);
  });

  it('forgets the nodes that left the registry', () => {
    const { s } = selector();
    const [a, b, c] = [node('a'), node('b'), node('c')];
    s.pick([a, b, c], ctx());
    s.pick([a, b], ctx());
    assert.deepEqual(s.nodes().map((l) => l.node).sort(), ['a', 'b']);
  });
});
