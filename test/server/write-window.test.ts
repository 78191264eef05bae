import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GRPC_HIGH_WATER, windowFor, WriteWindow } from '../../src/server/write-window';

const bytes = (n: number) => () => n;

describe('windowFor: how deep messages of one size may queue in grpc-js', () => {
  it('lets small messages queue up to 128 deep, within 64 KiB', () => {
    assert.equal(windowFor(bytes(16), {}), 128);
    assert.equal(windowFor(bytes(0), {}), 128); // an empty message still takes a slot
    assert.equal(windowFor(bytes(512), {}), 128);
    assert.equal(windowFor(bytes(513), {}), 127);
    assert.equal(windowFor(bytes(1024), {}), 64);
    assert.equal(windowFor(bytes(3000), {}), 21); // ⌊65,536 / 3,000⌋
  });

  it("keeps grpc-js's 16 for messages of 4 KiB and more, so a slow caller pins no more memory than before", () => {
    assert.equal(GRPC_HIGH_WATER, 16);
    assert.equal(windowFor(bytes(4096), {}), 16);
    assert.equal(windowFor(bytes(4 * 2 ** 20), {}), 16);
  });

  it('falls back to 16 when the size is unknown: no sizer, a sizer that throws, or a nonsense size', () => {
    assert.equal(windowFor(undefined, {}), 16);
    assert.equal(windowFor(() => { throw new Error('does not serialize'); }, {}), 16);
    assert.equal(windowFor(bytes(Number.NaN), {}), 16);
    assert.equal(windowFor(bytes(-1), {}), 16);
  });
});

/** Writes `count` messages with no room (grpc-js's writable past 16), pending rising from 16; the pending at which the pump had to wait, or undefined. */
function run(window: WriteWindow, count: number, from = GRPC_HIGH_WATER): number | undefined {
  for (let pending = from; pending < from + count; pending++) if (window.full(false, pending, { pending })) return pending;
  return undefined;
}

/** A fixed sequence in [0, 1) (a linear congruential generator), so a test of random gaps cannot flake. */
function seeded(seed: number): () => number {
  let x = seed;
  return () => {
    x = (x * 1103515245 + 12345) % 2 ** 31;
    return x / 2 ** 31;
  };
}

/** Every sample 16 writes after the last (random 0.5), so the schedule is fixed. */
const EVERY_16 = (): number => 0.5;

describe('WriteWindow: when a server stream waits for drain', () => {
  it('never waits while grpc-js has room, and measures nothing then', () => {
    let asked = 0;
    const w = new WriteWindow(() => (asked++, 16), EVERY_16);
    for (let i = 0; i < 1000; i++) assert.equal(w.full(true, i % 16, {}), false);
    assert.equal(asked, 0);
  });

  it('lets small messages run to 128 pending, sampling the first past 16 and one every 16 writes after it', () => {
    let asked = 0;
    const w = new WriteWindow(() => (asked++, 16), EVERY_16);
    assert.equal(run(w, 200), 128);
    assert.equal(asked, 8); // pending 16, 32, …, 128
  });

  it('waits at 16 for large messages, and measures a stream of them once', () => {
    let asked = 0;
    const w = new WriteWindow(() => (asked++, 8192), EVERY_16);
    assert.equal(run(w, 10), 16);
    assert.equal(run(w, 10), 16);
    assert.equal(run(w, 10), 16);
    assert.equal(asked, 1);
  });

  it('holds a stream back within 16 writes when its messages grow mid-episode, and stays at 16 after', () => {
    const sizes: number[] = [];
    const w = new WriteWindow((m) => {
      const size = (m as { pending: number }).pending < 20 ? 16 : 2 ** 20; // small at first, then 1 MiB
      sizes.push(size);
      return size;
    }, EVERY_16);
    assert.equal(run(w, 200), 32); // sampled small at 16 (window 128), large at 32: wait there
    assert.deepEqual(sizes, [16, 2 ** 20]);
    assert.equal(run(w, 200), 16); // the next episode waits at grpc-js's 16, measuring nothing
    assert.equal(sizes.length, 2);
  });

  it('lets the window grow back in a new episode while it is above 16', () => {
    let size = 1024; // window 64
    const w = new WriteWindow(() => size, EVERY_16);
    assert.equal(run(w, 200), 64);
    size = 16;
    assert.equal(run(w, 200), 128);
  });

  it('samples 8 to 23 writes apart, at random, so a sender cannot know which of its messages are measured', () => {
    for (const [random, gap] of [[0, 8], [0.999, 23], [0.25, 12]] as const) {
      const at: number[] = [];
      const w = new WriteWindow((m) => (at.push((m as { pending: number }).pending), 16), () => random);
      run(w, 60);
      assert.deepEqual(at.slice(0, 3), [16, 16 + gap, 16 + 2 * gap], `random ${random}`);
    }
  });

  it('holds back a sender who makes every 16th message small and the rest large, which a fixed schedule would miss', () => {
    // Small exactly where a fixed every-16 schedule measures (pending 16, 32, …), 1 MiB everywhere else.
    const aligned = (m: unknown): number => ((m as { pending: number }).pending % 16 === 0 ? 16 : 2 ** 20);
    assert.equal(run(new WriteWindow(aligned, EVERY_16), 200), 128); // fixed: 112 large messages slip in
    const random = seeded(7);
    const waits = Array.from({ length: 50 }, () => run(new WriteWindow(aligned, random), 200) as number);
    const mean = waits.reduce((a, b) => a + b, 0) / waits.length;
    assert.ok(mean <= 40, `random gaps: waited at ${mean.toFixed(1)} pending on average (${waits.join(' ')})`);
    assert.ok(Math.max(...waits) < 128, `random gaps: one stream still reached ${Math.max(...waits)}`);
  });

  it('waits as grpc-js asks when write() says no room below 16 pending (the stream ended or broke)', () => {
    const w = new WriteWindow(bytes(16), EVERY_16);
    assert.equal(w.full(false, 0, {}), true);
    assert.equal(w.full(false, 15, {}), true);
  });

  it("keeps grpc-js's 16 without a sizer, or when the sizer throws", () => {
    assert.equal(run(new WriteWindow(undefined), 100), 16);
    assert.equal(run(new WriteWindow(() => { throw new Error('does not serialize'); }), 100), 16);
  });
});
