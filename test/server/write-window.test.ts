import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GRPC_HIGH_WATER, writeWindow } from '../../src/server/write-window';

describe('writeWindow: how many messages a response stream lets grpc-js hold before waiting for drain', () => {
  const bytes = (n: number) => () => n;

  it('lets small messages queue up to 128 deep, within 64 KiB', () => {
    assert.equal(writeWindow(bytes(16), {}), 128);
    assert.equal(writeWindow(bytes(0), {}), 128); // an empty message still takes a slot
    assert.equal(writeWindow(bytes(512), {}), 128);
    assert.equal(writeWindow(bytes(513), {}), 127);
    assert.equal(writeWindow(bytes(1024), {}), 64);
    assert.equal(writeWindow(bytes(2048), {}), 32);
    assert.equal(writeWindow(bytes(3000), {}), 21); // ⌊65,536 / 3,000⌋
  });

  it("keeps grpc-js's 16 for large messages, so a slow caller pins no more memory than before", () => {
    assert.equal(GRPC_HIGH_WATER, 16);
    assert.equal(writeWindow(bytes(4096), {}), 16);
    assert.equal(writeWindow(bytes(4 * 2 ** 20), {}), 16);
  });

  it('falls back to 16 when the size is unknown: no sizer, a sizer that throws, or a nonsense size', () => {
    assert.equal(writeWindow(undefined, {}), 16);
    assert.equal(writeWindow(() => { throw new Error('does not serialize'); }, {}), 16);
    assert.equal(writeWindow(bytes(Number.NaN), {}), 16);
    assert.equal(writeWindow(bytes(-1), {}), 16);
  });

  it('measures the message it is given', () => {
    const seen: unknown[] = [];
    const message = { payload: 'x' };
    assert.equal(writeWindow((m) => (seen.push(m), 8), message), 128);
    assert.deepEqual(seen, [message]);
  });
});
