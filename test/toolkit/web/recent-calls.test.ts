import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RecentCalls } from '../../../src/toolkit/web/recent-calls';
import { esc } from '../../../src/toolkit/web/html';

describe('RecentCalls (the dashboard\'s latency percentiles and error rates)', () => {
  const cases: Array<{ what: string; calls: Array<[ms: number, ok: boolean, at: number]>; now: number;
    want: { calls: number; errors: number; p50Ms: number; p90Ms: number; p99Ms: number } | undefined }> = [
    { what: 'one call', calls: [[7, true, 0]], now: 1, want: { calls: 1, errors: 0, p50Ms: 7, p90Ms: 7, p99Ms: 7 } },
    { what: 'nearest rank over 1..10', calls: Array.from({ length: 10 }, (_, i) => [10 - i, i % 2 === 0, i] as [number, boolean, number]), now: 10,
      want: { calls: 10, errors: 5, p50Ms: 5, p90Ms: 9, p99Ms: 10 } },
    { what: 'calls older than the window leave it', calls: [[100, false, 0], [1, true, 500], [2, true, 900]], now: 1001,
      want: { calls: 2, errors: 0, p50Ms: 1, p90Ms: 2, p99Ms: 2 } },
    { what: 'an endpoint with no call in the window is not listed', calls: [[1, true, 0]], now: 1000, want: undefined },
  ];
  for (const c of cases) {
    it(c.what, () => {
      const recent = new RecentCalls(1000);
      for (const [ms, ok, at] of c.calls) recent.record('basis', 'Basis.Hello', ms, ok, at);
      const [got] = recent.snapshot(c.now);
      if (c.want === undefined) return assert.equal(got, undefined);
      assert.deepEqual(got, { service: 'basis', endpoint: 'Basis.Hello', ...c.want, errorRate: c.want.errors / c.want.calls });
    });
  }

  it('keeps the newest maxSamples per endpoint, and sorts endpoints', () => {
    const recent = new RecentCalls(1000, 3);
    for (let i = 1; i <= 5; i++) recent.record('z', 'Z.Call', i, true, i);
    recent.record('a', 'A.Call', 1, false, 5);
    const [a, z] = recent.snapshot(10);
    assert.equal(a!.service, 'a');
    assert.deepEqual([z!.calls, z!.p50Ms, z!.p99Ms], [3, 4, 5]);
  });

  it('refuses a window or sample count that would show nothing', () => {
    assert.throws(() => new RecentCalls(0), /windowMs/);
    assert.throws(() => new RecentCalls(1000, 0), /maxSamples/);
  });
});

describe('esc (everything a registry or a reply says is shown as text)', () => {
  it('escapes markup and both quotes', () => {
    assert.equal(esc(`<a href="x" onclick='y'>&\`</a>`), '&lt;a href=&quot;x&quot; onclick=&#39;y&#39;&gt;&amp;&#96;&lt;/a&gt;');
    assert.equal(esc(42), '42');
  });
});
