import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { status } from '@grpc/grpc-js';
import { breaker, Circuit, createClient, memoryRegistry, roundRobin, wrapClient, type CircuitChange, type CircuitPolicy } from '../../src/index';
import { Basis, replier, startBasis, type TestServer } from '../support/basis';
import { registerDeadNode } from '../support/dead-node';

const policy = (p: Partial<CircuitPolicy> = {}): CircuitPolicy => ({
  errorThresholdPercentage: 50, volumeThreshold: 20, sleepWindowMs: 5000, rollingWindowMs: 10_000, rollingBuckets: 10,
  probeTimeoutMs: 10_000, consecutiveFailures: 5, ...p,
});
const outcome = (c: Circuit, now: number, failed: boolean): void => {
  const call = {};
  if (c.allow(now, call)) c.record(failed ? 'failure' : 'success', now, call);
};

describe('the consecutive-failures trip rule (Circuit)', () => {
  it('opens after 5 failures in a row although the window is full of successes', () => {
    const c = new Circuit(policy());
    for (let i = 0; i < 1000; i++) outcome(c, i, false);
    for (let i = 0; i < 4; i++) outcome(c, 1000, true);
    assert.equal(c.state, 'closed');
    outcome(c, 1000, true);
    assert.equal(c.state, 'open');
  });

  it('a success breaks the run; after a probe closes the circuit the run starts afresh', () => {
    const c = new Circuit(policy());
    for (let i = 0; i < 40; i++) outcome(c, i, i % 4 !== 3); // runs of 3 failures, 75 % errors
    assert.equal(c.state, 'open', 'the percentage rule still works beside it');
    outcome(c, 6000, false); // the probe succeeds
    assert.equal(c.state, 'closed');
    for (let i = 0; i < 4; i++) outcome(c, 6001, true);
    assert.equal(c.state, 'closed', 'a fresh run: 4 < 5');
  });

  it('is off with consecutiveFailures 0 (the endpoint default): 33 % errors never open', () => {
    const c = new Circuit(policy({ consecutiveFailures: 0 }));
    for (let i = 0; i < 300; i++) outcome(c, i * 10, i % 3 === 0 || i > 290);
    assert.equal(c.state, 'closed');
  });
});

const servers: TestServer[] = [];
after(async () => Promise.all(servers.map((s) => s.server.stop())));

describe('breaker({ scope: \'node\' }) defaults eject a dead node at any traffic', () => {
  for (const [label, gapMs, calls] of [['5 calls/s', 200, 20], ['as fast as one caller goes', 0, 600]] as const) {
    it(`one dead node of three, ${label}: exactly 5 failed calls, then none`, async () => {
      const registry = memoryRegistry();
      servers.push(await startBasis(registry), await startBasis(registry));
      const dead = await registerDeadNode(registry);
      const changes: CircuitChange[] = [];
      const basis = createClient(Basis, 'basis', { registry, wrap: wrapClient(roundRobin(), breaker({ scope: 'node', onStateChange: (c) => changes.push(c) })) });
      let failed = 0;
      let lastFailure = -1;
      for (let i = 0; i < calls; i++) {
        try {
          await basis.hello({ name: 'x' });
        } catch (err) {
          assert.equal((err as { code: number }).code, status.UNAVAILABLE);
          failed++;
          lastFailure = i;
        }
        if (gapMs > 0) await new Promise((r) => setTimeout(r, gapMs));
      }
      assert.equal(failed, 5);
      assert.ok(lastFailure <= 15, `the 5th failure came at call ${lastFailure}`);
      assert.deepEqual(changes.map((c) => [c.node?.id, c.to]), [[dead.id, 'open']]);
      basis.close();
    });
  }
});

describe('maxEjectionPercent', () => {
  const failing = () => () => {
    throw Object.assign(new Error('down'), { code: status.UNAVAILABLE });
  };
  for (const [maxEjectionPercent, ejectable] of [[50, 2], [100, 3]] as const) {
    it(`3 failing nodes of 4, maxEjectionPercent ${maxEjectionPercent}: ${ejectable} ejected, the others keep their calls`, async () => {
      const registry = memoryRegistry();
      const good = await startBasis(registry);
      const bad = [await startBasis(registry, { hello: failing() }), await startBasis(registry, { hello: failing() }), await startBasis(registry, { hello: failing() })];
      servers.push(good, ...bad);
      const b = breaker({ scope: 'node', maxEjectionPercent, sleepWindowMs: 60_000 });
      const basis = createClient(Basis, 'basis', { registry, wrap: wrapClient(roundRobin(), b) });
      for (let i = 0; i < 60; i++) await basis.hello({ name: 'x' }).catch(() => undefined);
      assert.equal(b.circuits().filter((c) => c.state === 'open').length, ejectable);
      const before = bad.map((s) => s.seen.length);
      let ok = 0;
      for (let i = 0; i < 40; i++) ok += await basis.hello({ name: 'x' }).then(() => 1, () => 0);
      const toBad = bad.reduce((sum, s, i) => sum + s.seen.length - (before[i] as number), 0);
      if (ejectable === 2) {
        assert.equal(toBad, 20, 'the failing node that could not be ejected keeps its share of the rotation');
        assert.equal(ok, 20);
      } else {
        assert.equal(toBad, 0);
        assert.equal(ok, 40);
      }
      basis.close();
    });
  }

  it('rejects bad values, naming them', () => {
    assert.throws(() => breaker({ maxEjectionPercent: 0 }), { name: 'RangeError', message: /maxEjectionPercent/ });
    assert.throws(() => breaker({ consecutiveFailures: -1 }), { name: 'RangeError', message: /consecutiveFailures/ });
  });
});
