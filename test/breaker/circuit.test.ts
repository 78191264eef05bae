import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Circuit, type CircuitPolicy, type CircuitState } from '../../src/index';

// Ported from the cases of Hystrix's HystrixCircuitBreakerTest, with an injected clock.
const policy = (p: Partial<CircuitPolicy> = {}): CircuitPolicy => ({
  errorThresholdPercentage: 50,
  volumeThreshold: 20,
  sleepWindowMs: 5000,
  rollingWindowMs: 10_000,
  rollingBuckets: 10,
  probeTimeoutMs: 2000,
  ...p,
});

/** Runs `n` calls at time `now`, each failing when `fail(i)`. */
function run(c: Circuit, now: number, n: number, fail: (i: number) => boolean): number {
  let allowed = 0;
  for (let i = 0; i < n; i++) {
    const call = {};
    if (!c.allow(now, call)) continue;
    allowed++;
    c.record(fail(i) ? 'failure' : 'success', now, call);
  }
  return allowed;
}

describe('Circuit (Hystrix semantics)', () => {
  it('trips when every request fails once the volume is reached', () => {
    const c = new Circuit(policy({ volumeThreshold: 10 }));
    run(c, 0, 9, () => true);
    assert.equal(c.state, 'closed', 'below volume');
    run(c, 1, 1, () => true);
    assert.equal(c.state, 'open');
    assert.equal(c.allow(2, {}), false);
  });

  it('does not trip below the volume threshold, however many fail', () => {
    const c = new Circuit(policy({ volumeThreshold: 20 }));
    run(c, 0, 19, () => true);
    assert.equal(c.state, 'closed');
  });

  it('does not trip below the error threshold', () => {
    const c = new Circuit(policy({ volumeThreshold: 10, errorThresholdPercentage: 50 }));
    run(c, 0, 30, (i) => i % 3 === 0); // 33% errors
    assert.equal(c.state, 'closed');
  });

  it('trips exactly at the error threshold', () => {
    const c = new Circuit(policy({ volumeThreshold: 10, errorThresholdPercentage: 50 }));
    run(c, 0, 10, (i) => i % 2 === 1); // 50% errors, the 10th call fails
    assert.equal(c.state, 'open');
  });

  it('counts only the rolling window: old failures expire', () => {
    const c = new Circuit(policy({ volumeThreshold: 10 }));
    run(c, 0, 9, () => true);
    run(c, 10_500, 1, () => true); // the first nine are out of the window
    assert.equal(c.state, 'closed');
    assert.deepEqual(c.stats(10_500), { state: 'closed', requests: 1, failures: 1 });
  });

  it('lets exactly one probe through after the sleep window, while concurrent callers fail fast', () => {
    const c = new Circuit(policy({ volumeThreshold: 1 }));
    run(c, 0, 1, () => true);
    assert.equal(c.allow(4999, {}), false, 'still sleeping');
    const probe = {};
    assert.equal(c.allow(5000, probe), true);
    assert.equal(c.state, 'half-open');
    const others = Array.from({ length: 50 }, () => c.allow(5001, {}));
    assert.ok(others.every((x) => x === false), 'a second caller got through in half-open');
  });

  it('closes after a good probe, with a fresh window', () => {
    const c = new Circuit(policy({ volumeThreshold: 5 }));
    run(c, 0, 5, () => true);
    const probe = {};
    c.allow(5000, probe);
    c.record('success', 5001, probe);
    assert.equal(c.state, 'closed');
    assert.deepEqual(c.stats(5001), { state: 'closed', requests: 0, failures: 0 });
    run(c, 5002, 4, () => true);
    assert.equal(c.state, 'closed', 'old failures were forgotten');
  });

  it('stays open for another sleep window after a bad probe', () => {
    const c = new Circuit(policy({ volumeThreshold: 1 }));
    run(c, 0, 1, () => true);
    const probe = {};
    c.allow(5000, probe);
    c.record('failure', 5100, probe);
    assert.equal(c.state, 'open');
    assert.equal(c.allow(10_099, {}), false);
    assert.equal(c.allow(10_100, {}), true, 'the next probe after a full sleep window');
  });

  it('only the probe decides: late results of older calls are ignored in half-open', () => {
    const c = new Circuit(policy({ volumeThreshold: 1 }));
    const old = {};
    c.allow(0, old);
    run(c, 0, 1, () => true);
    const probe = {};
    c.allow(5000, probe);
    c.record('success', 5001, old);
    assert.equal(c.state, 'half-open');
    c.record('failure', 5002, probe);
    assert.equal(c.state, 'open');
  });

  it('lets the next caller probe when the probe had no verdict (ignored outcome)', () => {
    const c = new Circuit(policy({ volumeThreshold: 1 }));
    run(c, 0, 1, () => true);
    const probe = {};
    c.allow(5000, probe);
    c.record('ignore', 5001, probe);
    assert.equal(c.state, 'open');
    assert.equal(c.allow(5002, {}), true);
  });

  it('lets another probe through when the probe was lost', () => {
    const c = new Circuit(policy({ volumeThreshold: 1, probeTimeoutMs: 2000 }));
    run(c, 0, 1, () => true);
    c.allow(5000, {});
    assert.equal(c.allow(7000, {}), false);
    assert.equal(c.allow(7001, {}), true);
  });

  it('ignored outcomes do not count toward volume or errors', () => {
    const c = new Circuit(policy({ volumeThreshold: 2 }));
    for (let i = 0; i < 10; i++) {
      const call = {};
      c.allow(0, call);
      c.record('ignore', 0, call);
    }
    assert.deepEqual(c.stats(0), { state: 'closed', requests: 0, failures: 0 });
  });

  it('reports every transition', () => {
    const seen: string[] = [];
    const c = new Circuit(policy({ volumeThreshold: 1 }), (from: CircuitState, to: CircuitState, at: number) => seen.push(`${from}>${to}@${at}`));
    run(c, 0, 1, () => true);
    const probe = {};
    c.allow(5000, probe);
    c.record('success', 5010, probe);
    assert.deepEqual(seen, ['closed>open@0', 'open>half-open@5000', 'half-open>closed@5010']);
  });
});
