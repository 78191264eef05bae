// The pure parts of issue 19's measurement apparatus (bench/scenarios/), by table: the worker pool's queue, the
// failure keys, the recovery time, the targets' verdicts. The scenarios themselves run in test/chaos/resilience.test.ts.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { recovery, type Figures } from '../../bench/scenarios/figures';
import { errorKey } from '../../bench/scenarios/open-loop';
import type { OpenResult } from '../../bench/scenarios/protocol';
import { judge } from '../../bench/scenarios/targets';
import { WorkerPool } from '../../bench/scenarios/worker-pool';

describe('WorkerPool', () => {
  it('serves in FIFO order, one worker at a time; a caller that gives up leaves the queue', async () => {
    const pool = new WorkerPool(1);
    const order: string[] = [];
    const gone = new AbortController();
    assert.equal(await pool.acquire(new AbortController().signal), true); // the worker is busy
    const a = pool.acquire(new AbortController().signal).then((ok) => order.push(`a ${ok}`));
    const b = pool.acquire(gone.signal).then((ok) => order.push(`b ${ok}`));
    const c = pool.acquire(new AbortController().signal).then((ok) => order.push(`c ${ok}`));
    assert.equal(pool.queued, 3);
    gone.abort();
    await b;
    assert.equal(pool.queued, 2);
    pool.release(); // to a
    await a;
    pool.release(); // to c (b left)
    await c;
    assert.deepEqual(order, ['b false', 'a true', 'c true']);
    pool.release();
    assert.equal(await pool.acquire(new AbortController().signal), true, 'the worker is free again');
  });

  it('refuses a caller already gone, and beyond its queue bound; 0 workers: no pool', async () => {
    const gone = new AbortController();
    gone.abort();
    assert.equal(await new WorkerPool(1).acquire(gone.signal), false);
    const small = new WorkerPool(1, 1);
    await small.acquire(new AbortController().signal);
    void small.acquire(new AbortController().signal);
    assert.equal(await small.acquire(new AbortController().signal), false);
    const none = new WorkerPool(0);
    for (let i = 0; i < 100; i++) assert.equal(await none.acquire(new AbortController().signal), true);
  });
});

describe('errorKey', () => {
  const table: Array<[unknown, string]> = [
    [{ code: 13, details: 'Received RST_STREAM with code 2 triggered by internal client error: Session closed with error code 2' }, 'INTERNAL/rst_stream_2'],
    [{ code: 13, details: 'Session closed with error code 2' }, 'INTERNAL/rst_stream_2'],
    [{ code: 13, details: 'Received RST_STREAM with code 8' }, 'INTERNAL/Received RST_STREAM with code N'],
    [{ code: 4, reason: 'deadline', details: 'x' }, 'DEADLINE_EXCEEDED/deadline'],
    [{ code: 4, details: 'Deadline exceeded after 1.001s,metadata filters: 0.000s' }, 'DEADLINE_EXCEEDED/Deadline exceeded after Ns'],
    [new Error('boom'), '?/boom'],
  ];
  for (const [err, key] of table) it(`${JSON.stringify(err).slice(0, 60)} → ${key}`, () => assert.equal(errorKey(err), key));
});

describe('recovery after the load drops', () => {
  const windows = (okShares: number[]): OpenResult => ({ windows: okShares.map((s, i) => ({ atMs: 1000 + i * 250, calls: 100, okInDeadline: Math.round(100 * s) })) }) as OpenResult;
  const table: Array<[number[], number | undefined]> = [
    [[1, 1, 1, 1], 0],
    [[0.2, 0.5, 0.96, 1], 500],
    [[0.2, 1, 0.5, 1], 750], // a relapse counts: recovery is from the last bad window on
    [[0.2, 0.3, 0.4, 0.5], undefined],
  ];
  for (const [shares, expected] of table) {
    it(`${shares.join(' ')} → ${expected ?? 'never'}`, () => assert.equal(recovery(windows(shares), 1000, 2000, 250), expected));
  }
});

describe('issue 19 targets', () => {
  const base = { stack: 's', calls: 100, errors: {}, rst: 0, saturated: 0, unanswered: 0, sendLagMs: { p99: 1, max: 1 } } as unknown as Figures;
  it('judges each measured figure and says n/a for what a stack could not run', () => {
    const verdicts = judge([
      { ...base, scenario: 'slow-node', successPct: 99.95, p99Ms: 60 },
      { ...base, scenario: 'slow-node-hedged', skipped: 'no hedging' },
      { ...base, scenario: 'degraded-node', badSharePct: 4, p99Ms: 30 },
      { ...base, scenario: 'all-fast', p99Ms: 10 },
    ], 's');
    const v = (scenario: string, target: string): string | undefined => verdicts.find((x) => x.scenario === scenario && x.target.startsWith(target))?.verdict;
    assert.equal(v('slow-node', '≥ 99.9'), 'met');
    assert.equal(v('slow-node', 'p99'), 'missed');
    assert.equal(v('slow-node-hedged', 'the slow node'), 'n/a');
    assert.equal(v('degraded-node', '≤ 5 %'), 'met');
    assert.equal(v('degraded-node', 'p99'), 'missed'); // 30 ms against 1.5 × 10 ms
    assert.equal(verdicts.some((x) => x.scenario === 'overload'), false, 'a scenario that did not run is not judged');
  });
});
