import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { Metadata, status } from '@grpc/grpc-js';
import { breaker, createClient, isKeelError, memoryRegistry, rateLimit, randomSelector, wrapClient, wrapHandler, type Call, type CallContext } from '../../src/index';
import { Basis, startBasis, type TestServer } from '../support/basis';
import { FakeClock } from '../support/fake-clock';
import { ctx, wrapped } from '../support/call-context';

const servers: TestServer[] = [];
after(async () => {
  await Promise.all(servers.map((s) => s.server.stop()));
});
const ok: Call = async () => 'ok';

describe('rateLimit()', () => {
  it('with wait: false, fails at once with RESOURCE_EXHAUSTED / rate_limited when no token is free', async () => {
    const clock = new FakeClock();
    const call = wrapped([rateLimit(10, { burst: 2, wait: false, clock })], ok);
    assert.equal(await call({}, ctx()), 'ok');
    assert.equal(await call({}, ctx()), 'ok');
    await assert.rejects(call({}, ctx()), (err: unknown) => isKeelError(err, 'rate_limited') && err.code === status.RESOURCE_EXHAUSTED);
    clock.advance(100);
    assert.equal(await call({}, ctx()), 'ok');
  });

  it('with wait, fails at once with DEADLINE_EXCEEDED / deadline when the wait would outlast the deadline', async () => {
    const clock = new FakeClock();
    let reached = 0;
    const call = wrapped([rateLimit(1, { clock })], async () => ++reached);
    await call({}, ctx());
    const t0 = Date.now();
    await assert.rejects(call({}, ctx(Date.now() + 900)), (err: unknown) => isKeelError(err, 'deadline') && err.code === status.DEADLINE_EXCEEDED);
    assert.ok(Date.now() - t0 < 50, 'it waited before failing');
    assert.equal(reached, 1);
  });

  it('with wait, queues calls in FIFO order at the rate', async () => {
    const order: number[] = [];
    const call = wrapped([rateLimit(20)], async (req: { i: number }) => order.push(req.i));
    const t0 = Date.now();
    await Promise.all(Array.from({ length: 10 }, (_, i) => call({ i }, ctx())));
    const took = Date.now() - t0;
    assert.deepEqual(order, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    assert.ok(took >= 430 && took < 1500, `10 calls at 20/s (burst 1) took ${took} ms, expected about 450`);
  });

  it('never makes calls under the rate wait, however many fall in one millisecond (sub-ms clock)', async () => {
    // On Date.now()'s whole milliseconds, the second call in a millisecond waited a ~1 ms timer tick at
    // rates above 1,000/s: half of these calls did.
    const call = wrapped([rateLimit(100_000)], ok);
    let slow = 0;
    for (let i = 0; i < 2000; i++) {
      const spaced = process.hrtime.bigint();
      while (process.hrtime.bigint() - spaced < 20_000n); // 20 µs apart: half the rate
      const t = process.hrtime.bigint();
      await call({}, ctx());
      if (process.hrtime.bigint() - t > 500_000n) slow++;
    }
    assert.ok(slow <= 40, `${slow} of 2000 calls under the rate waited over 0.5 ms`);
  });

  it('a call aborted while waiting fails as cancelled and gives its token back', async () => {
    const clock = new FakeClock();
    const call = wrapped([rateLimit(1, { clock })], ok);
    await call({}, ctx());
    const controller = new AbortController();
    const waiting = call({}, ctx(undefined, controller.signal));
    controller.abort();
    await assert.rejects(waiting, (err: unknown) => isKeelError(err, 'cancelled'));
    clock.advance(1000);
    // With its token back, the limiter lets a call one interval later go at once (else it would wait 1 s more).
    assert.equal(await Promise.race([call({}, ctx()), new Promise((r) => setTimeout(() => r('waited'), 100))]), 'ok');
  });

  it('protects a server: callers get RESOURCE_EXHAUSTED / rate_limited', async () => {
    const registry = memoryRegistry();
    const s = await startBasis(registry, { wrap: wrapHandler(rateLimit(1, { burst: 2, wait: false })) });
    servers.push(s);
    const basis = createClient(Basis, 'basis', { registry });
    const results = await Promise.allSettled(Array.from({ length: 5 }, () => basis.hello({ name: 'x' })));
    assert.equal(results.filter((r) => r.status === 'fulfilled').length, 2);
    for (const r of results.filter((x) => x.status === 'rejected')) {
      const err = (r as PromiseRejectedResult).reason;
      assert.ok(isKeelError(err, 'rate_limited') && err.code === status.RESOURCE_EXHAUSTED, String(err));
    }
    assert.equal(s.seen.length, 2, 'refused calls reached the handler');
    basis.close();
  });

  it('on a server with wait, refuses at once when the wait would outlast the caller\'s deadline', async () => {
    const registry = memoryRegistry();
    const s = await startBasis(registry, { wrap: wrapHandler(rateLimit(0.5)) });
    servers.push(s);
    const basis = createClient(Basis, 'basis', { registry });
    await basis.hello({ name: 'first' });
    const t0 = Date.now();
    await assert.rejects(basis.hello({ name: 'second' }, { timeoutMs: 500 }), (err: unknown) => isKeelError(err, 'rate_limited'));
    assert.ok(Date.now() - t0 < 400, 'the server held the call instead of refusing at once');
    basis.close();
  });

  it('is never counted as a failure by a breaker', async () => {
    const registry = memoryRegistry();
    const s = await startBasis(registry);
    servers.push(s);
    const states: string[] = [];
    const b = breaker({ volumeThreshold: 2, onStateChange: (c) => states.push(c.to) });
    const basis = createClient(Basis, 'basis', { registry, wrap: wrapClient(b, rateLimit(1, { wait: false })) });
    const results = await Promise.allSettled(Array.from({ length: 20 }, () => basis.hello({ name: 'x' })));
    assert.equal(results.filter((r) => r.status === 'rejected').length, 19);
    assert.deepEqual(states, []);
    assert.deepEqual(b.circuits().map((c) => [c.state, c.requests, c.failures]), [['closed', 1, 0]]);
    basis.close();
  });

  it('rejects bad options, naming them', () => {
    assert.throws(() => rateLimit(0), { name: 'RangeError', message: /ratePerSecond/ });
    assert.throws(() => rateLimit(Infinity), { name: 'RangeError', message: /ratePerSecond/ });
    assert.throws(() => rateLimit('5' as never), { name: 'RangeError', message: /ratePerSecond/ });
    assert.throws(() => rateLimit(5, { burst: 0 }), { name: 'RangeError', message: /burst/ });
    assert.throws(() => rateLimit(5, { burst: 1.5 }), { name: 'RangeError', message: /burst/ });
    assert.throws(() => rateLimit(5, { wait: 'yes' as never }), { name: 'TypeError', message: /wait/ });
    assert.throws(() => rateLimit(5, { brust: 2 } as never), { name: 'TypeError', message: /unknown option "brust"/ });
  });
});
