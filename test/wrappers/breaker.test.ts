import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { Metadata, status } from '@grpc/grpc-js';
import { breaker, callContext, createClient, isKeelError, memoryRegistry, roundRobin, timeout, wrapClient, wrapHandler, type CircuitChange } from '../../src/index';
import { INFO, wrapped } from '../support/call-context';
import { recordNode } from '../../src/call';
import { Basis, eventually, replier, startBasis, type TestServer } from '../support/basis';
import { registerDeadNode } from '../support/dead-node';

const servers: TestServer[] = [];
const start = async (...args: Parameters<typeof startBasis>): Promise<TestServer> => {
  const s = await startBasis(...args);
  servers.push(s);
  return s;
};
after(async () => {
  await Promise.all(servers.map((s) => s.server.stop()));
});
const fail = (code: status) => () => {
  throw Object.assign(new Error(status[code]), { code });
};

describe('breaker() over real servers', () => {
  it('opens on a failing endpoint, then fails fast without touching the network', async () => {
    const registry = memoryRegistry();
    const s = await start(registry, { hello: fail(status.UNAVAILABLE) });
    const changes: CircuitChange[] = [];
    const basis = createClient(Basis, 'basis', { registry, wrap: wrapClient(breaker({ volumeThreshold: 5, onStateChange: (c) => changes.push(c) })) });
    for (let i = 0; i < 5; i++) await assert.rejects(basis.hello({ name: 'x' }), { code: status.UNAVAILABLE });
    assert.deepEqual(changes.map((c) => [c.service, c.method, c.from, c.to]), [['basis', '/basis.Basis/Hello', 'closed', 'open']]);
    const t0 = process.hrtime.bigint();
    const times: number[] = [];
    for (let i = 0; i < 100; i++) {
      const t = process.hrtime.bigint();
      await assert.rejects(basis.hello({ name: 'x' }), (err: unknown) => isKeelError(err, 'circuit_open') && err.code === status.UNAVAILABLE);
      times.push(Number(process.hrtime.bigint() - t) / 1e6);
    }
    times.sort((a, b) => a - b);
    assert.ok((times[50] as number) < 1, `median fail-fast ${times[50]} ms (total ${Number(process.hrtime.bigint() - t0) / 1e6} ms)`);
    assert.equal(s.seen.length, 5, 'calls reached the server while the circuit was open');
    basis.close();
  });

  it('lets one probe through after the sleep window; a good probe closes the circuit', async () => {
    const registry = memoryRegistry();
    let healthy = false;
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const s = await start(registry, {
      hello: async () => {
        if (!healthy) throw Object.assign(new Error('down'), { code: status.UNAVAILABLE });
        await gate; // hold the probe so that concurrent callers arrive while it is in flight
        return { msg: 'ok' };
      },
    });
    const b = breaker({ volumeThreshold: 3, sleepWindowMs: 300 });
    const basis = createClient(Basis, 'basis', { registry, wrap: wrapClient(b) });
    for (let i = 0; i < 3; i++) await basis.hello({ name: 'x' }).catch(() => undefined);
    assert.equal(b.circuits()[0]?.state, 'open');
    healthy = true;
    await new Promise((r) => setTimeout(r, 350));
    const probe = basis.hello({ name: 'probe' });
    await eventually(() => s.seen.length === 4, 'the probe to reach the server');
    const others = await Promise.allSettled(Array.from({ length: 10 }, () => basis.hello({ name: 'other' })));
    assert.ok(others.every((r) => r.status === 'rejected' && isKeelError(r.reason, 'circuit_open')), 'a second call went through in half-open');
    assert.equal(s.seen.length, 4);
    release();
    assert.equal((await probe).msg, 'ok');
    assert.equal(b.circuits()[0]?.state, 'closed');
    assert.equal((await basis.hello({ name: 'after' })).msg, 'ok');
    basis.close();
  });

  it('reopens for another sleep window after a bad probe', async () => {
    const registry = memoryRegistry();
    const s = await start(registry, { hello: fail(status.INTERNAL) });
    const changes: string[] = [];
    const basis = createClient(Basis, 'basis', {
      registry, wrap: wrapClient(breaker({ volumeThreshold: 2, sleepWindowMs: 200, onStateChange: (c) => changes.push(c.to) })),
    });
    for (let i = 0; i < 2; i++) await basis.hello({ name: 'x' }).catch(() => undefined);
    await new Promise((r) => setTimeout(r, 250));
    await assert.rejects(basis.hello({ name: 'probe' }), { code: status.INTERNAL });
    await assert.rejects(basis.hello({ name: 'x' }), (err: unknown) => isKeelError(err, 'circuit_open'));
    assert.deepEqual(changes, ['open', 'half-open', 'open']);
    assert.equal(s.seen.length, 3);
    basis.close();
  });

  it('with timeout() before it, a hung call fails by that deadline, the real RPC is cancelled, and it counts', async () => {
    const registry = memoryRegistry();
    let handlerAborted = false;
    await start(registry, {
      hello: (_req, ctx) => new Promise((resolve) => ctx.signal.addEventListener('abort', () => {
        handlerAborted = true;
        resolve({ msg: 'too late' });
      })),
    });
    const b = breaker();
    const basis = createClient(Basis, 'basis', { registry, wrap: wrapClient(timeout(200), b) });
    const t0 = Date.now();
    await assert.rejects(basis.hello({ name: 'x' }), (err: unknown) => isKeelError(err, 'deadline'));
    const took = Date.now() - t0;
    assert.ok(took >= 150 && took < 1500, `took ${took} ms`);
    await eventually(() => handlerAborted, 'the server handler to see the cancellation');
    assert.deepEqual(b.circuits().map((c) => [c.requests, c.failures]), [[1, 1]]);
    basis.close();
  });

  it('does not count caller errors (INVALID_ARGUMENT, NOT_FOUND)', async () => {
    const registry = memoryRegistry();
    await start(registry, { hello: fail(status.INVALID_ARGUMENT) });
    const b = breaker({ volumeThreshold: 3 });
    const basis = createClient(Basis, 'basis', { registry, wrap: wrapClient(b) });
    for (let i = 0; i < 10; i++) await assert.rejects(basis.hello({ name: 'x' }), { code: status.INVALID_ARGUMENT });
    assert.deepEqual(b.circuits().map((c) => [c.state, c.requests, c.failures]), [['closed', 10, 0]]);
    basis.close();
  });

  it('with maxConcurrent, fails excess calls at once with RESOURCE_EXHAUSTED / max_concurrent', async () => {
    const registry = memoryRegistry();
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    await start(registry, { hello: async () => (await gate, { msg: 'ok' }) });
    const b = breaker({ maxConcurrent: 2 });
    const basis = createClient(Basis, 'basis', { registry, wrap: wrapClient(b) });
    const held = [basis.hello({ name: '1' }), basis.hello({ name: '2' })];
    await assert.rejects(basis.hello({ name: '3' }), (err: unknown) => isKeelError(err, 'max_concurrent') && err.code === status.RESOURCE_EXHAUSTED);
    release();
    await Promise.all(held);
    assert.equal((await basis.hello({ name: '4' })).msg, 'ok');
    assert.equal(b.circuits()[0]?.failures, 0);
    basis.close();
  });

  it('with scope node, ejects a dead node and keeps serving from the others', async () => {
    const registry = memoryRegistry();
    const live = [await start(registry), await start(registry)];
    const dead = await registerDeadNode(registry);
    const changes: CircuitChange[] = [];
    const b = breaker({ scope: 'node', volumeThreshold: 3, sleepWindowMs: 60_000, onStateChange: (c) => changes.push(c) });
    const basis = createClient(Basis, 'basis', { registry, wrap: wrapClient(roundRobin(), b) });
    let errors = 0;
    const hits = new Map<string, number>();
    for (let i = 0; i < 60; i++) {
      try {
        const id = replier((await basis.hello({ name: 'x' })).msg);
        hits.set(id, (hits.get(id) ?? 0) + 1);
      } catch (err) {
        assert.equal((err as { code: number }).code, status.UNAVAILABLE);
        errors++;
      }
    }
    assert.equal(errors, 3, 'the dead node should cost exactly volumeThreshold calls');
    assert.deepEqual(changes.map((c) => [c.node?.id, c.to]), [[dead.id, 'open']]);
    assert.deepEqual([...hits.keys()].sort(), live.map((s) => s.id).sort());
    assert.equal([...hits.values()].reduce((a, c) => a + c, 0), 57);
    basis.close();
  });

  it('with scope node and maxEjectionPercent 100, fails fast with circuit_open when every node is open', async () => {
    const registry = memoryRegistry();
    await registerDeadNode(registry);
    await registerDeadNode(registry);
    const basis = createClient(Basis, 'basis', { registry, wrap: wrapClient(roundRobin(), breaker({ scope: 'node', volumeThreshold: 2, maxEjectionPercent: 100 })) });
    for (let i = 0; i < 4; i++) await assert.rejects(basis.hello({ name: 'x' }), { code: status.UNAVAILABLE });
    await assert.rejects(basis.hello({ name: 'x' }), (err: unknown) => isKeelError(err, 'circuit_open'));
    basis.close();
  });

  it('with scope node, forgets the circuits of nodes gone for long (node ids churn with deploys)', async () => {
    const clock = { t: 1_000_000, now() { return this.t; } };
    const b = breaker({ scope: 'node', sleepWindowMs: 1000, rollingWindowMs: 1000, clock });
    const call = wrapped([b], async (_req, c) => {
      recordNode(c, c.selector.pick(nodes, c)!);
      return 'ok';
    }, { ...INFO, service: 'basis', method: '/basis.Basis/Hello' });
    let nodes = [{ id: 'old', name: 'basis', version: '', address: '127.0.0.1:1', metadata: {} }];
    const ctx = () => callContext({ ...INFO, service: 'basis', method: '/basis.Basis/Hello' });
    await call({}, ctx());
    assert.deepEqual(b.circuits().map((c) => c.node), ['old']);
    clock.t += 7000; // longer than 6 × max(sleep window, rolling window)
    nodes = [{ ...nodes[0]!, id: 'new', address: '127.0.0.1:2' }];
    await call({}, ctx());
    assert.deepEqual(b.circuits().map((c) => c.node), ['new']);
  });

  it('is a client wrapper only, and rejects bad options naming them', () => {
    assert.throws(() => wrapHandler(breaker()), { name: 'TypeError', message: 'breaker() wraps clients only' });
    assert.throws(() => breaker({ timeoutMs: 1000 } as never), { name: 'TypeError', message: /breaker: unknown option "timeoutMs"/ });
    assert.throws(() => breaker({ probeTimeoutMs: 0 }), { name: 'RangeError', message: /probeTimeoutMs/ });
    assert.throws(() => breaker({ errorThresholdPercentage: 0 }), { name: 'RangeError', message: /errorThresholdPercentage/ });
    assert.throws(() => breaker({ errorThresholdPercentage: 101 }), { name: 'RangeError', message: /errorThresholdPercentage/ });
    assert.throws(() => breaker({ volumeThreshold: 0 }), { name: 'RangeError', message: /volumeThreshold/ });
    assert.throws(() => breaker({ sleepWindowMs: -1 }), { name: 'RangeError', message: /sleepWindowMs/ });
    assert.throws(() => breaker({ rollingWindowMs: 0 }), { name: 'RangeError', message: /rollingWindowMs/ });
    assert.throws(() => breaker({ maxConcurrent: 0 }), { name: 'RangeError', message: /maxConcurrent/ });
    assert.throws(() => breaker({ scope: 'host' as never }), { name: 'RangeError', message: /scope/ });
    assert.throws(() => breaker({ isFailure: 1 as never }), { name: 'TypeError', message: /isFailure/ });
    assert.throws(() => breaker({ timeout: 5 } as never), { name: 'TypeError', message: /unknown option "timeout"/ });
  });
});
