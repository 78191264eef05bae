import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { status } from '@grpc/grpc-js';
import { createClient, isKeelError, memoryRegistry, type HandlerContext } from '../../src/index';
import { eventually } from '../support/basis';
import { collect, Items, startItems, type Item, type ItemsProbe } from '../support/items';

const probes: ItemsProbe[] = [];
after(async () => Promise.all(probes.map((p) => p.server.stop())));

type Client = {
  listItems(req: { count: number; size?: number }, opts?: object): AsyncIterable<Item>;
  upload(reqs: AsyncIterable<Partial<Item>> | Iterable<Partial<Item>>, opts?: object): Promise<{ count: number }>;
  chat(reqs: AsyncIterable<{ text: string; seq: number }>, opts?: object): AsyncIterable<{ seq: number }>;
  close(): void;
};
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('stream flow: cancellation and backpressure, both ways', () => {
  it('leaving the loop early cancels the call: the handler signal aborts and the generator finally runs', async () => {
    const registry = memoryRegistry();
    const p = await startItems(registry);
    probes.push(p);
    const c = createClient(Items, 'items', { registry }) as unknown as Client;
    for await (const item of c.listItems({ count: 1_000_000 })) if (item.id === 5) break;
    await eventually(() => p.aborted === 1 && p.finallyRan === 1, 'the handler to see the cancellation and run finally');
    assert.ok(p.produced < 100_000, `the generator kept producing: ${p.produced}`);
    // A thrown error leaves the loop too.
    await assert.rejects(async () => {
      for await (const item of c.listItems({ count: 1_000_000 })) if (item.id === 3) throw new Error('stop');
    }, /stop/);
    await eventually(() => p.aborted === 2 && p.finallyRan === 2, 'the second handler to be cancelled');
    c.close();
  });

  it("aborting the caller's signal cancels any kind with `cancelled`", async () => {
    const registry = memoryRegistry();
    const p = await startItems(registry);
    probes.push(p);
    const c = createClient(Items, 'items', { registry }) as unknown as Client;
    const controller = new AbortController();
    const seen: number[] = [];
    await assert.rejects(async () => {
      for await (const item of c.listItems({ count: 1_000_000 }, { signal: controller.signal })) {
        seen.push(item.id);
        if (item.id === 10) controller.abort();
      }
    }, (err: unknown) => isKeelError(err, 'cancelled') && err.code === status.CANCELLED);
    assert.ok(seen.length >= 10);
    const upload = new AbortController();
    async function* endless(): AsyncGenerator<Partial<Item>> {
      for (let i = 1; ; i++) {
        if (i === 20) upload.abort();
        yield { id: i };
        await sleep(1);
      }
    }
    await assert.rejects(c.upload(endless(), { signal: upload.signal }), (err: unknown) => isKeelError(err, 'cancelled'));
    c.close();
  });

  it('a request stream that throws cancels the call; the caller gets `cancelled` with what it threw as cause', async () => {
    const registry = memoryRegistry();
    const p = await startItems(registry);
    probes.push(p);
    const c = createClient(Items, 'items', { registry }) as unknown as Client;
    const boom = new Error('source broke');
    async function* broken(): AsyncGenerator<Partial<Item>> {
      yield { id: 1 };
      throw boom;
    }
    await assert.rejects(c.upload(broken()), (err: unknown) =>
      isKeelError(err, 'cancelled') && /request stream threw: source broke/.test(err.message) && (err as { cause?: unknown }).cause === boom);
    // (Whether the server saw a cancel or a half-close depends on timing: grpc-js sends END_STREAM before
    // RST_STREAM when it cancels, see RequestStream.)
    c.close();
  });

  it('a slow consumer holds a fast server stream back: 100,000 × 1 KB, bounded gap and memory', async () => {
    const registry = memoryRegistry();
    const p = await startItems(registry);
    probes.push(p);
    const c = createClient(Items, 'items', { registry }) as unknown as Client;
    const total = 100_000;
    let consumed = 0;
    let maxGap = 0;
    const rss0 = process.memoryUsage().rss;
    let maxRss = rss0;
    for await (const item of c.listItems({ count: total, size: 1024 })) {
      consumed++;
      assert.equal(item.id, consumed);
      maxGap = Math.max(maxGap, p.produced - consumed);
      if (consumed % 500 === 0) {
        maxRss = Math.max(maxRss, process.memoryUsage().rss);
        await sleep(1); // slow: ~1 ms per 500 messages, far below what the server can produce
      }
    }
    assert.equal(consumed, total);
    const growthMb = (maxRss - rss0) / 2 ** 20;
    console.log(`server ahead of consumer by at most ${maxGap} messages; RSS growth ${growthMb.toFixed(1)} MB (unbounded: ~100 MB)`);
    // Flow control lets the server run ahead by the HTTP/2 windows and the stream buffers: a few thousand
    // 1 KB messages at most, never the 100,000 it could produce.
    assert.ok(maxGap < 5000, `the server ran ${maxGap} messages ahead`);
    // Buffering it all would hold ≥ 100 MB of payload alone; what grows here is garbage not yet collected.
    assert.ok(growthMb < 100, `RSS grew ${growthMb.toFixed(1)} MB`);
    c.close();
  });

  it('a slow server holds a fast request stream back: requests are pulled only as the transport drains', async () => {
    const registry = memoryRegistry();
    let received = 0;
    const p = await startItems(registry, {}, {
      Upload: async (items: AsyncIterable<Item>, ctx: HandlerContext) => {
        for await (const _ of items) {
          received++;
          if (received % 100 === 0) await sleep(2);
          if (received === 2000) break;
        }
        void ctx;
        return { count: received };
      },
    });
    probes.push(p);
    const c = createClient(Items, 'items', { registry }) as unknown as Client;
    let pulled = 0;
    let maxGap = 0;
    let sourceClosed = false;
    async function* endless(): AsyncGenerator<Partial<Item>> {
      try {
        for (let i = 1; ; i++) {
          pulled++;
          maxGap = Math.max(maxGap, pulled - received);
          yield { id: i, name: 'x'.repeat(1024) };
        }
      } finally {
        sourceClosed = true;
      }
    }
    assert.deepEqual(await c.upload(endless()), { count: 2000, lastId: 0 });
    await eventually(() => sourceClosed, 'the request source to be closed when the call ended');
    console.log(`client ahead of server by at most ${maxGap} requests`);
    assert.ok(maxGap < 5000, `the client pulled ${maxGap} requests ahead of the server`);
    c.close();
  });

  it('bidi: when the server ends the call, the request source is closed', async () => {
    const registry = memoryRegistry();
    const p = await startItems(registry, {}, {
      Chat: async function* (messages: AsyncIterable<{ seq: number }>) {
        for await (const m of messages) {
          yield { seq: m.seq };
          if (m.seq === 3) return;
        }
      },
    });
    probes.push(p);
    const c = createClient(Items, 'items', { registry }) as unknown as Client;
    let closed = false;
    async function* endless(): AsyncGenerator<{ text: string; seq: number }> {
      try {
        for (let i = 1; ; i++) {
          yield { text: 'x', seq: i };
          await sleep(5);
        }
      } finally {
        closed = true;
      }
    }
    assert.deepEqual((await collect(c.chat(endless()))).map((m) => m.seq), [1, 2, 3]);
    await eventually(() => closed, 'the request source to be closed');
    c.close();
  });
});
