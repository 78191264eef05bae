import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { status } from '@grpc/grpc-js';
import {
  acceptable, adaptiveLimit, createClient, hedge, isKeelError, memoryRegistry, retry, RetryBudget, wrapClient, wrapHandler,
  type Registry, type Selector, type ServiceNode,
} from '../../src/index';
import { Basis, startBasis, type TestServer } from '../support/basis';

const servers: TestServer[] = [];
after(async () => Promise.all(servers.map((s) => s.server.stop())));
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A basis server whose Hello takes `ms`, guarded by `adaptiveLimit(options)`. */
async function limited(registry: Registry, ms: number, options: Parameters<typeof adaptiveLimit>[0]): Promise<TestServer> {
  const s = await startBasis(registry, { wrap: wrapHandler(adaptiveLimit(options)), hello: async (req: { name: string }) => { await sleep(ms); return { msg: `Hello ${req.name}` }; } });
  servers.push(s);
  return s;
}

/** A selector that prefers the node `first` (then any other accepted): the first attempt goes there. */
const prefer = (first: () => string): Selector => ({
  pick: (nodes: readonly ServiceNode[], ctx) => nodes.find((n) => n.id === first() && acceptable(n, ctx)) ?? nodes.find((n) => acceptable(n, ctx)),
});

describe('adaptiveLimit() on a handler', () => {
  it('beyond the limit, answers RESOURCE_EXHAUSTED / concurrency_limit with grpc-retry-pushback-ms, and never starts the handler', async () => {
    const registry = memoryRegistry();
    const server = await limited(registry, 150, { initialLimit: 2, minLimit: 2, queueMs: 0 });
    const client = createClient(Basis, 'basis', { registry });
    const results = await Promise.allSettled(Array.from({ length: 5 }, () => client.hello({ name: 'x' })));
    client.close();
    const refused = results.filter((r) => r.status === 'rejected').map((r) => (r as PromiseRejectedResult).reason);
    assert.equal(results.filter((r) => r.status === 'fulfilled').length, 2);
    assert.equal(refused.length, 3);
    for (const err of refused) {
      assert.ok(isKeelError(err, 'concurrency_limit') && err.code === status.RESOURCE_EXHAUSTED && err.origin === 'remote', String(err));
      assert.match(String(err.metadata.get('grpc-retry-pushback-ms')[0]), /^\d+$/);
    }
    assert.equal(server.seen.length, 2, 'only the two admitted calls reached the handler');
  });

  it('starts a handler at 10 and a client at 100 when initialLimit is not given', async () => {
    const registry = memoryRegistry();
    const guard = adaptiveLimit();
    const s = await startBasis(registry, { wrap: wrapHandler(guard) });
    servers.push(s);
    const clientSide = adaptiveLimit();
    const client = createClient(Basis, 'basis', { registry, wrap: wrapClient(clientSide) });
    await client.hello({ name: 'x' }); // one call, one slot in use: no evidence either way, the limits stay put
    client.close();
    assert.deepEqual(guard.limits().map((l) => [l.side, l.limit]), [['handler', 10]]);
    assert.deepEqual(clientSide.limits().map((l) => [l.side, l.limit]), [['client', 100]]);
  });

  it('queues briefly: a call beyond the limit starts when a slot frees, within queueMs', async () => {
    const registry = memoryRegistry();
    const server = await limited(registry, 80, { initialLimit: 1, minLimit: 1, maxLimit: 1, queueMs: 500 });
    const client = createClient(Basis, 'basis', { registry });
    const results = await Promise.allSettled([client.hello({ name: 'a' }), client.hello({ name: 'b' })]);
    client.close();
    assert.deepEqual(results.map((r) => r.status), ['fulfilled', 'fulfilled']);
    assert.equal(server.seen.length, 2);
  });

  it('a queued call whose caller gives up leaves the queue: its handler never starts', async () => {
    const registry = memoryRegistry();
    const server = await limited(registry, 300, { initialLimit: 1, minLimit: 1, maxLimit: 1, queueMs: 2000 });
    const client = createClient(Basis, 'basis', { registry });
    const first = client.hello({ name: 'first' });
    await sleep(50);
    const controller = new AbortController();
    const second = client.hello({ name: 'second' }, { signal: controller.signal });
    await sleep(50);
    controller.abort();
    await assert.rejects(second, (err) => isKeelError(err, 'cancelled'));
    await first;
    await sleep(400); // long past when the second would have started
    client.close();
    assert.deepEqual(server.seen.map((s) => s.request.name), ['first']);
  });

  it('does not queue a call whose deadline cannot cover the wait', async () => {
    const registry = memoryRegistry();
    const server = await limited(registry, 200, { initialLimit: 1, minLimit: 1, maxLimit: 1, queueMs: 1000 });
    const client = createClient(Basis, 'basis', { registry });
    const first = client.hello({ name: 'first' });
    await sleep(50);
    const t0 = Date.now();
    await assert.rejects(client.hello({ name: 'second' }, { timeoutMs: 300 }), (err) => isKeelError(err, 'concurrency_limit'));
    assert.ok(Date.now() - t0 < 150, 'refused at once, not after waiting');
    await first;
    client.close();
    assert.equal(server.seen.length, 1);
  });

  it('retry() takes a server refusal as never started: retried on another node, even for a method it may not repeat', async () => {
    const registry = memoryRegistry();
    const busy = await limited(registry, 300, { initialLimit: 1, minLimit: 1, maxLimit: 1, queueMs: 0 });
    const free = await limited(registry, 1, { initialLimit: 1, minLimit: 1, maxLimit: 1, queueMs: 0 });
    const occupier = createClient(Basis, 'basis', { registry, selector: prefer(() => busy.id) });
    const holding = occupier.hello({ name: 'hold' });
    await sleep(50);
    const retries: number[] = [];
    const client = createClient(Basis, 'basis', { registry, selector: prefer(() => busy.id),
      wrap: wrapClient(retry({ idempotent: false, onRetry: (e) => retries.push(e.delayMs) })) });
    const reply = await client.hello({ name: 'moved' });
    assert.match(reply.msg, /Hello moved/);
    assert.equal(retries.length, 1);
    assert.equal(free.seen.length, 1);
    assert.deepEqual(busy.seen.map((s) => s.request.name), ['hold']);
    await holding;
    occupier.close();
    client.close();
  });
});

describe('adaptiveLimit() on a client', () => {
  it('beyond the limit, refuses at once with a local concurrency_limit, never retried', async () => {
    const registry = memoryRegistry();
    const server = await startBasis(registry, { hello: async () => { await sleep(150); return { msg: 'slow' }; } });
    servers.push(server);
    const client = createClient(Basis, 'basis', { registry, wrap: wrapClient(adaptiveLimit({ initialLimit: 2, throttle: false }), retry()) });
    const results = await Promise.allSettled(Array.from({ length: 4 }, () => client.hello({ name: 'x' })));
    client.close();
    const refused = results.filter((r) => r.status === 'rejected').map((r) => (r as PromiseRejectedResult).reason);
    assert.equal(refused.length, 2);
    for (const err of refused) assert.ok(isKeelError(err, 'concurrency_limit') && err.origin === 'local', String(err));
    assert.equal(server.seen.length, 2);
  });

  it('throttles when the servers refuse most calls: the client stops sending most of them', async () => {
    const registry = memoryRegistry();
    const server = await startBasis(registry, { hello: () => { throw Object.assign(new Error('full'), { code: status.RESOURCE_EXHAUSTED, details: 'full' }); } });
    servers.push(server);
    const client = createClient(Basis, 'basis', { registry, wrap: wrapClient(adaptiveLimit()) });
    let throttled = 0;
    for (let i = 0; i < 200; i++) await client.hello({ name: 'x' }).catch((err) => { if (isKeelError(err, 'throttled')) throttled++; });
    client.close();
    console.log(`# throttle: ${throttled} of 200 refused locally, ${server.seen.length} reached the server`);
    assert.ok(throttled > 100, `${throttled} throttled`);
    assert.equal(server.seen.length + throttled, 200);
  });

  it('checks its options', () => {
    assert.throws(() => adaptiveLimit({ initialLimit: 0 }), { name: 'RangeError', message: /adaptiveLimit: initialLimit/ });
    assert.throws(() => adaptiveLimit({ minLimit: 5, maxLimit: 2 }), { name: 'RangeError', message: /adaptiveLimit: maxLimit/ });
    assert.throws(() => adaptiveLimit({ queueMs: -1 }), { name: 'RangeError', message: /adaptiveLimit: queueMs/ });
    assert.throws(() => adaptiveLimit({ throttle: { k: 0.5 } }), { name: 'RangeError', message: /throttle\.k/ });
    // @ts-expect-error: not an option
    assert.throws(() => adaptiveLimit({ limit: 5 }), { name: 'TypeError', message: /unknown option "limit"/ });
  });
});

describe('a retry budget shared by hedge() and retry()', () => {
  it('is deposited once per call', async () => {
    const registry = memoryRegistry();
    servers.push(await startBasis(registry));
    const budget = new RetryBudget({ ratio: 0.5, minPerSecond: 0 });
    const client = createClient(Basis, 'basis', { registry, wrap: wrapClient(hedge({ budget, delayMs: 1000 }), retry({ budget })) });
    for (let i = 0; i < 10; i++) await client.hello({ name: 'x' });
    client.close();
    assert.equal(budget.available(performance.now()), 5); // 10 calls × 0.5, not 20 deposits × 0.5
  });
});
