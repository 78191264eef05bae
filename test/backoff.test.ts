import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { backoffDelay } from '../src/backoff';

describe('backoffDelay', () => {
  it('doubles from min to max, between half and all of the ceiling', () => {
    const cases: Array<[failures: number, low: number, high: number]> = [
      [1, 50, 100], [2, 100, 200], [3, 200, 400], [4, 400, 800], [5, 500, 1000], [50, 500, 1000],
    ];
    for (const [failures, low, high] of cases) {
      assert.equal(backoffDelay(failures, 100, 1000, () => 0), low, `failure ${failures}, lowest`);
      assert.equal(backoffDelay(failures, 100, 1000, () => 1), high, `failure ${failures}, highest`);
    }
  });

  it('treats 0 failures as the first', () => {
    assert.equal(backoffDelay(0, 100, 1000, () => 1), 100);
  });
});
