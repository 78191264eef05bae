import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Throttle, VegasLimit } from '../../src/index';

const policy = { initialLimit: 20, minLimit: 1, maxLimit: 100, minRttWindowMs: 30_000, remeasure: true, inUse: 0.5 };

describe('VegasLimit', () => {
  it('grows while no queue builds (latency at the no-load latency) and the limit is in use', () => {
    const v = new VegasLimit(policy);
    v.sample(10, 20, false, 0, 0);
    const before = v.limit;
    v.sample(10, 20, false, 1, 1);
    assert.ok(v.limit > before, `${v.limit} > ${before}`);
  });

  it('does not grow when the caller uses under half the limit (no evidence)', () => {
    const v = new VegasLimit(policy);
    v.sample(10, 2, false, 0, 0);
    v.sample(10, 2, false, 1, 1);
    assert.equal(v.limit, 20);
  });

  it('shrinks when the latency says a queue of more than 6·log10(limit) calls has built up', () => {
    const v = new VegasLimit(policy);
    v.sample(10, 1, false, 0, 0); // no-load latency 10 ms (one call in flight: no growth)
    v.sample(40, 20, false, 1, 1); // queue ≈ 20 × (1 − 10/40) = 15 > 6 × log10(20)
    assert.ok(v.limit < 20, String(v.limit));
  });

  it('holds between α and β', () => {
    const v = new VegasLimit(policy);
    v.sample(10, 1, false, 0, 0);
    v.sample(12.5, 20, false, 1, 1); // queue = ceil(20 × 0.2) = 4 (α = 3.9, β = 7.8)
    assert.equal(v.limit, 20);
  });

  it('holds the queue a server asks for: 2–4 calls per log10 of the limit', () => {
    const server = new VegasLimit({ ...policy, alpha: 2, beta: 4 });
    server.sample(10, 1, false, 0, 0);
    server.sample(12.5, 20, false, 1, 1); // queue = ceil(20 × 0.2) = 4, between α = 2.6 and β = 5.2: holds
    assert.equal(server.limit, 20);
    server.sample(14, 20, false, 2, 2); // queue = ceil(20 × (1 − 10/14)) = 6 > 5.2: shrinks, where 3–6 (β 7.8) holds
    assert.ok(server.limit < 20, String(server.limit));
    const netflix = new VegasLimit(policy);
    netflix.sample(10, 1, false, 0, 0);
    netflix.sample(14, 20, false, 2, 2);
    assert.equal(netflix.limit, 20);
  });

  it('a dropped call shrinks it by log10(limit), down to minLimit at most', () => {
    const v = new VegasLimit({ ...policy, initialLimit: 3 });
    for (let i = 0; i < 10; i++) v.sample(10, 3, true, i, i);
    assert.equal(v.limit, 1);
  });

  it('measures the no-load latency again after minRttWindowMs, with the limit held at minLimit for a few calls', () => {
    const v = new VegasLimit({ ...policy, minRttWindowMs: 1000 });
    v.sample(10, 20, false, 0, 0);
    v.sample(50, 20, false, 2000, 2000); // the window has passed: measuring
    assert.equal(v.limit, 1);
    for (let i = 0; i < 5; i++) v.sample(30, 1, false, 2001 + i, 2001 + i);
    assert.equal(v.baselineMs, 30); // the service is slower now: its new no-load latency
    assert.ok(v.limit > 1);
  });
});

describe('VegasLimit without remeasure (a client)', () => {
  it('takes the lowest latency of the last window as the next baseline, refusing nothing to measure it', () => {
    const v = new VegasLimit({ ...policy, minRttWindowMs: 1000, remeasure: false });
    v.sample(10, 1, false, 0, 0);
    v.sample(30, 1, false, 500, 500);
    v.sample(30, 1, false, 1500, 1500); // the window rotates: its lowest (10) is still the baseline
    assert.equal(v.baselineMs, 10);
    assert.equal(v.limit, 20);
    v.sample(30, 1, false, 2600, 2600); // the next rotation: the last window's lowest was 30
    assert.equal(v.baselineMs, 30);
  });

  it('a caller far under its limit whose latency varies does not shrink it (the queue is counted on the calls in flight)', () => {
    const v = new VegasLimit({ ...policy, remeasure: false });
    v.sample(1, 1, false, 0, 0);
    for (let i = 1; i <= 50; i++) v.sample(i % 2 === 0 ? 5 : 2, 3, false, i, i);
    assert.equal(v.limit, 20);
  });
});

describe('Throttle (SRE adaptive throttling)', () => {
  it('refuses nothing while the backends accept', () => {
    const t = new Throttle(2, 10_000);
    for (let i = 0; i < 100; i++) t.record(true, i);
    assert.equal(t.probability(100), 0);
    assert.equal(t.refuse(100, 0), false);
  });

  it('when the backends refuse everything, refuses about (requests − 2·accepts) / (requests + 1)', () => {
    const t = new Throttle(2, 10_000);
    for (let i = 0; i < 100; i++) t.record(i % 4 === 0, i); // 25 % accepted
    const p = t.probability(100);
    assert.ok(Math.abs(p - (100 - 2 * 25) / 101) < 1e-9, String(p));
    assert.equal(t.refuse(100, p - 0.01), true);
    assert.equal(t.refuse(100, 0.99), false);
  });

  it('forgets after its window', () => {
    const t = new Throttle(2, 1000);
    for (let i = 0; i < 100; i++) t.record(false, i);
    assert.ok(t.probability(100) > 0.9);
    assert.equal(t.probability(5000), 0);
  });
});
