import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SeriesRing } from '../../../src/toolkit/gateway/series';
import { circleRadius, errorColour, sparkline, sparkY } from '../../../src/toolkit/web/charts';

describe('SeriesRing: calls, errors and p99 per time bucket, in fixed memory', () => {
  it('puts each call in its bucket, oldest first, and forgets buckets a lap old', () => {
    const ring = new SeriesRing(1000, 4);
    ring.record(0, 5, true);
    ring.record(999, 5, false);
    ring.record(2500, 5, true);
    assert.deepEqual(ring.read(3000), { bucketMs: 1000, calls: [2, 0, 1, 0], errors: [1, 0, 0, 0], p99Ms: [ring.read(3000).p99Ms[0], null, ring.read(3000).p99Ms[2], null] });
    // Four buckets later the first is gone, and its slot starts afresh when reused.
    ring.record(4100, 7, true);
    assert.deepEqual(ring.read(4100).calls, [0, 1, 0, 1]);
    assert.deepEqual(ring.read(4100).errors, [0, 0, 0, 0]);
    assert.deepEqual(ring.read(20_000).calls, [0, 0, 0, 0], 'long idle: nothing left');
  });

  it('gives the p99 of a bucket to within its latency bin (20 %)', () => {
    const ring = new SeriesRing(1000, 2);
    for (let i = 1; i <= 1000; i++) ring.record(10, i / 10, true); // 0.1 … 100 ms: p99 is 99 ms
    const p99 = ring.read(10).p99Ms[1]!;
    assert.ok(p99 >= 99 && p99 <= 99 * 1.2, `p99 ${p99}`);
    const one = new SeriesRing(1000, 2);
    one.record(10, 3, true);
    assert.ok(one.read(10).p99Ms[1]! >= 3 && one.read(10).p99Ms[1]! < 3.6);
  });
});

describe('the dashboard\'s pictures', () => {
  it('scales a sparkline so its largest value touches the top, and breaks the line where a value is missing', () => {
    const svg = sparkline([0, 2, null, 4], 'p99', 'ms');
    assert.match(svg, /data-values="0,2,,4" data-max="4"/);
    const moves = [...svg.matchAll(/([ML])([\d.]+) ([\d.]+)/g)].map((m) => [m[1], Number(m[3])]);
    assert.deepEqual(moves, [['M', sparkY(0, 4)], ['L', sparkY(2, 4)], ['M', sparkY(4, 4)]]);
    assert.equal(sparkY(4, 4), 1);
    assert.equal(sparkY(0, 4), 23);
    assert.match(sparkline([null, null], 'calls', 'calls/s'), /now –, max 0/);
  });

  it('sizes a circle by requests and colours it by error rate, as Hystrix did', () => {
    assert.equal(circleRadius(0), 3);
    assert.equal(circleRadius(400), 26);
    assert.equal(circleRadius(4000), 26, 'bounded');
    assert.ok(circleRadius(100) > circleRadius(10));
    assert.deepEqual([0, 0.009, 0.01, 0.099, 0.1, 0.249, 0.25, 1].map(errorColour),
      ['#2da44e', '#2da44e', '#d4a72c', '#d4a72c', '#e16f24', '#e16f24', '#cf222e', '#cf222e']);
  });

  it('escapes what a registry says inside the pictures too', () => {
    assert.doesNotMatch(sparkline([1], '<x>', '<u>'), /<x>|<u>/);
  });
});
