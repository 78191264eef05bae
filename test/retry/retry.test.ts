import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { status } from '@grpc/grpc-js';
import { createClient, isKeelError, memoryRegistry, rateLimit, retry, roundRobin, wrapClient, type ClientWrapper, type HandlerContext, type Registry } from '../../src/index';
import { registerDeadNode } from '../support/dead-node';
import { collect, Items, startItems, type Item, type ItemsProbe } from '../support/items';
import type { RetryEvent } from '../../wrappers/retry';

type Client = {
  getItem(req: { id: number }, opts?: object): Promise<Item>;
  listItems(req: { count: number; failAt?: number }, opts?: object): AsyncIterable<Item>;
  upload(reqs: Iterable<Partial<Item>> | AsyncIterable<Partial<Item>>, opts?: object): Promise<{ count: number; lastId: number }>;
  chat(reqs: Iterable<{ text: string; seq: number }> | AsyncIterable<{ text: string; seq: number }>, opts?: object): AsyncIterable<{ text: string; seq: number }>;
  close(): void;
};
const probes: ItemsProbe[] = [];
after(async () => Promise.all(probes.map((p) => p.server.stop())));
const start = async (registry: Registry, impl = {}): Promise<ItemsProbe> => {
  const probe = await startItems(registry, {}, impl);
  probes.push(probe);
  return probe;
};
const client = (registry: Registry, ...wrappers: Parameters<typeof wrapClient>): Client =>
  createClient(Items, 'items', { registry, wrap: wrapClient(...wrappers) }) as unknown as Client;
const unavailable = (details = 'going away'): Error => Object.assign(new Error(details), { code: status.UNAVAILABLE, details });
/** Records `ctx.attempt` and the node of every attempt that passes. */
const attempts = (log: Array<[number, string | undefined]>): ClientWrapper => (next) => (request, ctx) => {
  ctx.onEnd(() => log.push([ctx.attempt, ctx.node?.address]));
  return next(request, ctx);
};

describe('retry() against real servers', () => {
  it('a dead node costs no call: each failed attempt goes to the live node, at once', async () => {
    const registry = memoryRegistry();
    const live = await start(registry);
    const dead = await registerDeadNode(registry, 'items');
    const log: Array<[number, string | undefined]> = [];
    const events: RetryEvent[] = [];
    const c = client(registry, retry({ budget: false, onRetry: (e) => events.push(e) }), roundRobin(), attempts(log));
    for (let i = 0; i < 20; i++) assert.match((await c.getItem({ id: i })).name, new RegExp(live.id));
    assert.equal(live.contexts.length, 20);
    // With two nodes the rotation alternates, and a retry is its next node: about every call after the first
    // tries the dead node first (ejecting it is the breaker's job; see the breaker tests).
    assert.ok(events.length >= 9, `${events.length} retries`);
    for (const e of events) {
      assert.equal(e.attempt, 2);
      assert.equal(e.node?.address, dead.address);
      assert.equal(e.delayMs, 0, 'a request never sent is retried at once');
    }
    assert.ok(log.filter(([n]) => n === 2).every(([, address]) => address !== dead.address), 'a retry went to the node that failed');
    c.close();
    // Without retry the same fleet fails calls: the test above can fail.
    const bare = client(registry, roundRobin());
    const outcomes = await Promise.allSettled(Array.from({ length: 6 }, (_, i) => bare.getItem({ id: i })));
    assert.ok(outcomes.some((o) => o.status === 'rejected'));
    bare.close();
  });

  it('an UNAVAILABLE from the handler is retried only for idempotent methods', async () => {
    const registry = memoryRegistry();
    let failing = 0;
    await start(registry, { GetItem: () => { failing++; throw unavailable(); } });
    const healthy = await start(registry);
    const plain = client(registry, retry({ budget: false }), roundRobin());
    const outcomes = await Promise.allSettled(Array.from({ length: 4 }, (_, i) => plain.getItem({ id: i })));
    assert.equal(outcomes.filter((o) => o.status === 'rejected').length, 2, 'Items.GetItem is not marked idempotent: not retried');
    assert.equal(failing, 2);
    const marked = client(registry, retry({ budget: false, idempotent: ['/items.Items/GetItem'] }), roundRobin());
    for (let i = 0; i < 4; i++) assert.match((await marked.getItem({ id: i })).name, new RegExp(healthy.id));
    assert.ok(failing >= 5, `${failing}`);
    plain.close();
    marked.close();
  });

  it("a server passing on a downstream \"No connection established\" is not retried for a method that is not idempotent", async () => {
    const registry = memoryRegistry();
    let handled = 0;
    await start(registry, { GetItem: () => { handled++; throw unavailable('No connection established. Last error: connect ECONNREFUSED 127.0.0.1:1'); } });
    const c = client(registry, retry({ budget: false }), roundRobin());
    await assert.rejects(c.getItem({ id: 1 }), (err: { code: number; details: string }) => err.code === status.UNAVAILABLE && /No connection established/.test(err.details));
    assert.equal(handled, 1, 'the handler ran once: its side effects were not repeated');
    c.close();
  });

  it('never retries this process\'s own refusals, and honours a per-call maxAttempts', async () => {
    const registry = memoryRegistry();
    let calls = 0;
    await start(registry, { GetItem: () => { calls++; throw unavailable(); } });
    const events: RetryEvent[] = [];
    const c = client(registry, retry({ budget: false, idempotent: true, backoff: { initialMs: 1 }, onRetry: (e) => events.push(e) }), rateLimit(1, { wait: false }));
    // The retry was refused by the limiter, locally: not retried again; the caller sees the last attempt's error.
    await assert.rejects(c.getItem({ id: 1 }), (err) => isKeelError(err, 'rate_limited'));
    assert.equal(events.length, 1);
    await assert.rejects(c.getItem({ id: 2 }), (err) => isKeelError(err, 'rate_limited'));
    assert.equal(events.length, 1);
    c.close();
    const d = client(registry, retry({ budget: false, idempotent: true, backoff: { initialMs: 1 } }));
    const before = calls;
    await assert.rejects(d.getItem({ id: 3 }, { maxAttempts: 1 }));
    assert.equal(calls - before, 1);
    await assert.rejects(d.getItem({ id: 3 }, { maxAttempts: 5 }));
    assert.equal(calls - before, 6);
    await assert.rejects(d.getItem({ id: 3 }, { maxAttempts: 0 }), (err) => isKeelError(err, 'bad_option'));
    d.close();
  });

  it('stops at the deadline, and when the server pushes back with a negative delay', async () => {
    const registry = memoryRegistry();
    let pushbackCalls = 0;
    await start(registry, {
      GetItem: ({ id }: { id: number }, ctx: HandlerContext) => {
        if (id === 1) {
          pushbackCalls++;
          ctx.trailer.set('grpc-retry-pushback-ms', '-1');
        }
        throw unavailable();
      },
    });
    const c = client(registry, retry({ budget: false, idempotent: true, maxAttempts: 10, backoff: { initialMs: 500, maxMs: 500, jitter: 'equal' } }));
    await assert.rejects(c.getItem({ id: 1 }));
    assert.equal(pushbackCalls, 1, 'pushback -1: no retry');
    const t0 = Date.now();
    // Backoffs of 250-500 ms in a 700 ms call: one fits, a second cannot.
    await assert.rejects(c.getItem({ id: 2 }, { timeoutMs: 700 }), (err) => (err as { code: number }).code === status.UNAVAILABLE);
    const took = Date.now() - t0;
    assert.ok(took >= 250 && took < 700, `gave up after ${took} ms`);
    c.close();
  });

  it('server streaming: retried before the first message, committed after it', async () => {
    const registry = memoryRegistry();
    let failingCalls = 0;
    await start(registry, {
      ListItems: async function* ({ count, failAt }: { count: number; failAt: number }) {
        failingCalls++;
        for (let i = 1; i <= count; i++) {
          if (i === (failAt || 1)) throw unavailable();
          yield { id: i, name: `item ${i}` };
        }
      },
    });
    const healthy = await start(registry);
    const c = client(registry, retry({ budget: false, idempotent: true }), roundRobin());
    for (let i = 0; i < 4; i++) {
      const items = await collect(c.listItems({ count: 3 }));
      assert.deepEqual(items.map((x) => x.id), [1, 2, 3]);
      assert.match(items[0]?.name ?? '', new RegExp(healthy.id));
    }
    assert.ok(failingCalls >= 3, `${failingCalls}`);
    // Failures after the first message reach the caller after the messages it already has: committed, no
    // retry (both servers fail at item 3 here: UNAVAILABLE on one, FAILED_PRECONDITION on the other).
    const attemptsBefore = failingCalls + healthy.contexts.length;
    const seen: number[] = [];
    let errors = 0;
    for (let i = 0; i < 4; i++) {
      try {
        for await (const item of c.listItems({ count: 3, failAt: 3 })) seen.push(item.id);
      } catch (err) {
        errors++;
        assert.ok([status.UNAVAILABLE, status.FAILED_PRECONDITION].includes((err as { code: number }).code));
      }
    }
    assert.equal(errors, 4);
    assert.deepEqual(seen, [1, 2, 1, 2, 1, 2, 1, 2]);
    assert.equal(failingCalls + healthy.contexts.length - attemptsBefore, 4, 'one attempt per call');
    c.close();
  });

  it('client streaming and bidi: the requests are replayed on another node', async () => {
    const registry = memoryRegistry();
    const healthy = await start(registry);
    await registerDeadNode(registry, 'items');
    const c = client(registry, retry({ budget: false }), roundRobin());
    let pulled = 0;
    let closed = 0;
    async function* source(n: number): AsyncGenerator<Partial<Item>> {
      try {
        for (let i = 1; i <= n; i++) {
          pulled++;
          yield { id: i };
        }
      } finally {
        closed++;
      }
    }
    for (let i = 0; i < 4; i++) assert.deepEqual(await c.upload(source(20)), { count: 20, lastId: 20 });
    assert.equal(pulled, 80, 'each message was pulled from the source once');
    assert.equal(closed, 4);
    for (let i = 0; i < 4; i++) {
      const replies = await collect(c.chat([{ text: 'a', seq: 1 }, { text: 'b', seq: 2 }]));
      assert.deepEqual(replies.map((r) => r.text), [`echo a from ${healthy.id}`, `echo b from ${healthy.id}`]);
    }
    c.close();
  });

  it('a request stream longer than replayLimit is not retried', async () => {
    const registry = memoryRegistry();
    let fail = true;
    await start(registry, {
      Upload: async (items: AsyncIterable<Item>) => {
        let count = 0;
        for await (const _ of items) count++;
        if (fail) {
          fail = false;
          throw unavailable();
        }
        return { count, lastId: count };
      },
    });
    const c = client(registry, retry({ budget: false, idempotent: true, replayLimit: 5, backoff: { initialMs: 1 } }));
    await assert.rejects(c.upload(Array.from({ length: 6 }, (_, i) => ({ id: i + 1 }))), (err) => (err as { code: number }).code === status.UNAVAILABLE);
    fail = true;
    assert.deepEqual(await c.upload(Array.from({ length: 5 }, (_, i) => ({ id: i + 1 }))), { count: 5, lastId: 5 });
    c.close();
  });
});
