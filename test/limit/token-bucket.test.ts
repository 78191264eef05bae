import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TokenBucket } from '../../src/index';

describe('TokenBucket', () => {
  it('starts full: burst calls go at once, the next waits 1/rate', () => {
    const b = new TokenBucket(10, 3, 0);
    assert.deepEqual([b.take(0), b.take(0), b.take(0), b.take(0)], [true, true, true, false]);
    assert.equal(b.delay(0), 100);
    assert.equal(b.take(99), false);
    assert.equal(b.take(100), true);
  });

  it('never holds more than burst', () => {
    const b = new TokenBucket(1000, 5, 0);
    for (let i = 0; i < 5; i++) b.take(0);
    assert.equal(b.available(1_000_000), 5);
  });

  it('reserves in order: each waiter 1/rate after the one before', () => {
    const b = new TokenBucket(4, 1, 0);
    assert.deepEqual([0, 0, 0, 0].map(() => b.reserve(0)), [0, 250, 500, 750]);
    assert.equal(b.take(0), false, 'a newcomer cannot jump the queue');
    assert.equal(b.delay(0), 1000, 'a newcomer waits behind the queue');
  });

  it('returns a cancelled reservation', () => {
    const b = new TokenBucket(4, 1, 0);
    b.reserve(0);
    b.reserve(0); // waits 250
    b.cancel(10);
    assert.ok(Math.abs(b.delay(10) - 240) < 1e-9, `delay ${b.delay(10)}`);
  });

  // The accuracy target: over 10 s, admitted = rate × 10 + burst, within 1%.
  for (const rate of [1, 100, 1000, 20_000]) {
    for (const burst of [1, 50]) {
      it(`admits rate × 10 s + burst at ${rate}/s, burst ${burst}, under a greedy caller`, () => {
        const b = new TokenBucket(rate, burst, 0);
        const step = Math.min(1, 1000 / rate / 4); // try four times per token interval
        let admitted = 0;
        for (let t = 0; t <= 10_000; t += step) if (b.take(t)) admitted++;
        const expected = rate * 10 + burst;
        assert.ok(Math.abs(admitted - expected) <= expected * 0.01, `admitted ${admitted}, expected ${expected}`);
      });
    }
  }
});
