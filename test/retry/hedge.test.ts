import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { createClient, hedge, memoryRegistry, roundRobin, wrapClient, type HandlerContext, type Registry } from '../../src/index';
import type { HedgeEvent } from '../../wrappers/hedge';
import { Basis, replier, startBasis, type TestServer } from '../support/basis';
import { registerDeadNode } from '../support/dead-node';
import { collect, Items, startItems, type Item, type ItemsProbe } from '../support/items';

const servers: TestServer[] = [];
const probes: ItemsProbe[] = [];
after(async () => Promise.all([...servers.map((s) => s.server.stop()), ...probes.map((p) => p.server.stop())]));
const sleep = (ms: number, signal?: AbortSignal): Promise<void> => new Promise((resolve) => {
  const t = setTimeout(resolve, ms);
  signal?.addEventListener('abort', () => { clearTimeout(t); resolve(); }, { once: true });
});
const basisClient = (registry: Registry, ...wrappers: Parameters<typeof wrapClient>) =>
  createClient(Basis, 'basis', { registry, wrap: wrapClient(...wrappers) });
const ALL = { idempotent: true as const, budget: false as const };

describe('hedge() against real servers', () => {
  it('a slow node: the hedged attempt on another node answers, the slow one is cancelled', async () => {
    const registry = memoryRegistry();
    let cancelledOnServer = 0;
    const slow = await startBasis(registry, {
      hello: async (_req, ctx: HandlerContext) => {
        await sleep(1000, ctx.signal);
        if (ctx.signal.aborted) cancelledOnServer++;
        return { msg: 'late' };
      },
    });
    const fast = await startBasis(registry);
    servers.push(slow, fast);
    const events: HedgeEvent[] = [];
    const c = basisClient(registry, hedge({ ...ALL, delayMs: 30, onHedge: (e) => events.push(e) }), roundRobin());
    for (let i = 0; i < 6; i++) {
      const t0 = Date.now();
      assert.equal(replier((await c.hello({ name: 'x' })).msg), fast.id);
      assert.ok(Date.now() - t0 < 500, `took ${Date.now() - t0} ms`);
    }
    assert.ok(events.length >= 2 && events.every((e) => e.why === 'slow' && e.attempt === 2), JSON.stringify(events));
    await sleep(100);
    assert.equal(cancelledOnServer, slow.seen.length, 'every slow attempt was cancelled on its server');
    c.close();
  });

  it('an attempt that fails while none is outstanding starts the next at once; methods not idempotent pass through', async () => {
    const registry = memoryRegistry();
    const live = await startBasis(registry);
    servers.push(live);
    await registerDeadNode(registry);
    const events: HedgeEvent[] = [];
    const c = basisClient(registry, hedge({ ...ALL, delayMs: 5000, onHedge: (e) => events.push(e) }), roundRobin());
    for (let i = 0; i < 6; i++) assert.equal(replier((await c.hello({ name: 'x' })).msg), live.id);
    assert.ok(events.length >= 2 && events.every((e) => e.why === 'failed'));
    c.close();
    // Basis.Hello is marked NO_SIDE_EFFECTS in its proto: hedge({ idempotent: false }) leaves it alone.
    const plain = basisClient(registry, hedge({ idempotent: false, delayMs: 1 }), roundRobin());
    const outcomes = await Promise.allSettled(Array.from({ length: 6 }, () => plain.hello({ name: 'x' })));
    assert.ok(outcomes.some((o) => o.status === 'rejected'));
    plain.close();
  });

  it('server streaming and bidi: the first message decides, requests are replayed to the hedge', async () => {
    const registry = memoryRegistry();
    let slowSeen = 0;
    probes.push(await startItems(registry, {}, {
      ListItems: async function* (_req: unknown, ctx: HandlerContext) {
        slowSeen++;
        await sleep(1000, ctx.signal);
        yield { id: 99, name: 'late' };
      },
      Chat: async function* (messages: AsyncIterable<{ text: string; seq: number }>, ctx: HandlerContext) {
        slowSeen++;
        await sleep(1000, ctx.signal);
        for await (const m of messages) yield { text: `late ${m.text}`, seq: m.seq };
      },
    }));
    const fast = await startItems(registry);
    probes.push(fast);
    const c = createClient(Items, 'items', { registry, wrap: wrapClient(hedge({ ...ALL, delayMs: 30 }), roundRobin()) }) as unknown as {
      listItems(r: { count: number }): AsyncIterable<Item>;
      chat(r: Iterable<{ text: string; seq: number }>): AsyncIterable<{ text: string; seq: number }>;
      close(): void;
    };
    for (let i = 0; i < 4; i++) {
      const t0 = Date.now();
      assert.deepEqual((await collect(c.listItems({ count: 3 }))).map((x) => x.id), [1, 2, 3]);
      const replies = await collect(c.chat([{ text: 'a', seq: 1 }, { text: 'b', seq: 2 }]));
      assert.deepEqual(replies.map((r) => r.text), [`echo a from ${fast.id}`, `echo b from ${fast.id}`]);
      assert.ok(Date.now() - t0 < 800, `took ${Date.now() - t0} ms`);
    }
    assert.ok(slowSeen >= 2);
    c.close();
  });
});
