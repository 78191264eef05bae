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

describe('WriteWindow: when a server stream waits for drain', () => {
  it('never waits while grpc-js has room, and measures nothing then', () => {
    let asked = 0;
    const w = new WriteWindow(() => (asked++, 16));
    for (let i = 0; i < 1000; i++) assert.equal(w.full(true, i % 16, {}), false);
    assert.equal(asked, 0);
  });

  it('lets small messages run to 128 pending, sampling the first past 16 and every 16th after it', () => {
    let asked = 0;
    const w = new WriteWindow(() => (asked++, 16));
    assert.equal(run(w, 200), 128);
    assert.equal(asked, 8); // pending 16, 32, …, 128
  });

  it('waits at 16 for large messages, and measures a stream of them once', () => {
    let asked = 0;
    const w = new WriteWindow(() => (asked++, 8192));
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
    });
    assert.equal(run(w, 200), 32); // sampled small at 16 (window 128), large at 32: wait there
    assert.deepEqual(sizes, [16, 2 ** 20]);
    assert.equal(run(w, 200), 16); // the next episode waits at grpc-js's 16, measuring nothing
    assert.equal(sizes.length, 2);
  });

  it('lets the window grow back in a new episode while it is above 16', () => {
    let size = 1024; // window 64
    const w = new WriteWindow(() => size);
    assert.equal(run(w, 200), 64);
    size = 16;
    assert.equal(run(w, 200), 128);
  });

  it('waits as grpc-js asks when write() says no room below 16 pending (the stream ended or broke)', () => {
    const w = new WriteWindow(bytes(16));
    assert.equal(w.full(false, 0, {}), true);
    assert.equal(w.full(false, 15, {}), true);
  });

  it("keeps grpc-js's 16 without a sizer, or when the sizer throws", () => {
    assert.equal(run(new WriteWindow(undefined), 100), 16);
    assert.equal(run(new WriteWindow(() => { throw new Error('does not serialize'); }), 100), 16);
  });
});
