import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { Metadata, status } from '@grpc/grpc-js';
import { createClient, isKeelError, memoryRegistry, type HandlerContext } from '../../src/index';
import { eventually } from '../support/basis';
import { collect, Items, startItems, type Item, type ItemsProbe } from '../support/items';

const registry = memoryRegistry();
const probes: ItemsProbe[] = [];
after(async () => Promise.all(probes.map((p) => p.server.stop())));

type Client = {
  getItem(req: { id: number }, opts?: object): Promise<Item>;
  listItems(req: { count: number; failAt?: number; size?: number }, opts?: object): AsyncIterable<Item>;
  upload(reqs: Iterable<Partial<Item>> | AsyncIterable<Partial<Item>>, opts?: object): Promise<{ count: number; lastId: number }>;
  chat(reqs: Iterable<{ text: string; seq: number }> | AsyncIterable<{ text: string; seq: number }>, opts?: object): AsyncIterable<{ text: string; seq: number }>;
  close(): void;
};
const client = (options: object = {}): Client => createClient(Items, 'items', { registry, ...options }) as unknown as Client;

describe('the four call kinds against a real server', () => {
  it('server streaming: every message in order', async () => {
    probes.push(await startItems(registry));
    const c = client();
    const items = await collect(c.listItems({ count: 1000 }));
    assert.deepEqual(items.map((i) => i.id), Array.from({ length: 1000 }, (_, i) => i + 1));
    c.close();
  });

  it('client streaming: a sync iterable and an async generator, in order', async () => {
    const c = client();
    assert.deepEqual(await c.upload([{ id: 1 }, { id: 2 }, { id: 3 }]), { count: 3, lastId: 3 });
    async function* many(): AsyncGenerator<Partial<Item>> {
      for (let i = 1; i <= 500; i++) yield { id: i };
    }
    assert.deepEqual(await c.upload(many()), { count: 500, lastId: 500 });
    assert.deepEqual(await c.upload([]), { count: 0, lastId: 0 });
    c.close();
  });

  it('bidi: replies interleave with requests, in order', async () => {
    const c = client();
    const replies: number[] = [];
    let sent = 0;
    async function* requests(): AsyncGenerator<{ text: string; seq: number }> {
      for (let i = 1; i <= 50; i++) {
        // Each request waits for the reply to the one before: the call really is interactive.
        await eventually(() => replies.length === i - 1, `reply ${i - 1}`);
        sent++;
        yield { text: `m${i}`, seq: i };
      }
    }
    for await (const reply of c.chat(requests())) replies.push(reply.seq);
    assert.equal(sent, 50);
    assert.deepEqual(replies, Array.from({ length: 50 }, (_, i) => i + 1));
    c.close();
  });

  it('a server error mid-stream: the messages before it, then that status', async () => {
    const c = client();
    const seen: number[] = [];
    await assert.rejects(async () => {
      for await (const item of c.listItems({ count: 10, failAt: 4 })) seen.push(item.id);
    }, (err: unknown) => (err as { code: number }).code === status.FAILED_PRECONDITION && (err as { details: string }).details === 'failed at 4');
    assert.deepEqual(seen, [1, 2, 3]);
    c.close();
  });

  it('headers and trailers reach onHeader/onTrailer on every kind, OK or not', async () => {
    const reg = memoryRegistry();
    const impl = {
      GetItem: ({ id }: { id: number }, ctx: HandlerContext) => {
        ctx.header.set('x-kind', 'unary');
        ctx.trailer.set('x-end', 'unary');
        if (id < 0) throw Object.assign(new Error('neg'), { code: status.INVALID_ARGUMENT });
        return { id };
      },
      ListItems: async function* (_req: unknown, ctx: HandlerContext) {
        ctx.header.set('x-kind', 'server');
        ctx.trailer.set('x-end', 'server');
        yield { id: 1 };
      },
      Upload: async (reqs: AsyncIterable<unknown>, ctx: HandlerContext) => {
        ctx.header.set('x-kind', 'client');
        ctx.trailer.set('x-end', 'client');
        for await (const _ of reqs) { /* drain */ }
        return { count: 0 };
      },
      Chat: async function* (reqs: AsyncIterable<unknown>, ctx: HandlerContext) {
        ctx.header.set('x-kind', 'bidi');
        ctx.trailer.set('x-end', 'bidi');
        for await (const _ of reqs) yield { seq: 1 };
      },
    };
    const p = await startItems(reg, {}, impl);
    const c = createClient(Items, 'items', { registry: reg }) as unknown as Client;
    const got: string[] = [];
    const opts = (): object => ({
      onHeader: (md: Metadata) => got.push(`h:${md.get('x-kind')[0]}`),
      onTrailer: (md: Metadata) => got.push(`t:${md.get('x-end')[0]}`),
    });
    await c.getItem({ id: 1 }, opts());
    await collect(c.listItems({ count: 1 }, opts()));
    await c.upload([{ id: 1 }], opts());
    await collect(c.chat([{ text: 'a', seq: 1 }], opts()));
    await assert.rejects(c.getItem({ id: -1 }, opts()), { code: status.INVALID_ARGUMENT });
    assert.deepEqual(got, ['h:unary', 't:unary', 'h:server', 't:server', 'h:client', 't:client', 'h:bidi', 't:bidi', 'h:unary', 't:unary']);
    c.close();
    await p.server.stop();
  });

  it('streams get no deadline by default, unary calls 5 s; timeoutMs and deadline apply to every kind', async () => {
    const reg = memoryRegistry();
    const deadlines: Array<number | undefined> = [];
    const p = await startItems(reg, {}, {
      GetItem: (_r: unknown, ctx: HandlerContext) => (deadlines.push(ctx.deadline), { id: 1 }),
      ListItems: async function* (_r: unknown, ctx: HandlerContext) {
        deadlines.push(ctx.deadline);
        yield { id: 1 };
        await new Promise((resolve) => ctx.signal.addEventListener('abort', resolve));
      },
    });
    const c = createClient(Items, 'items', { registry: reg }) as unknown as Client;
    const t0 = Date.now();
    await c.getItem({ id: 1 });
    const stream = c.listItems({ count: 1 })[Symbol.asyncIterator]();
    await stream.next();
    await stream.return?.();
    assert.ok(deadlines[0] !== undefined && Math.abs(deadlines[0] - (t0 + 5000)) < 1000, `unary deadline ${deadlines[0]}`);
    assert.equal(deadlines[1], undefined, 'a stream had a deadline by default');
    const started = Date.now();
    await assert.rejects(collect(c.listItems({ count: 1 }, { timeoutMs: 300 })), (err: unknown) => isKeelError(err, 'deadline') && err.code === status.DEADLINE_EXCEEDED);
    assert.ok(Date.now() - started < 3000);
    await assert.rejects(collect(c.listItems({ count: 1 }, { deadline: new Date(Date.now() + 200) })), (err: unknown) => isKeelError(err, 'deadline'));
    c.close();
    await p.server.stop();
  });

  it('streamTimeoutMs sets the default deadline of streaming calls', async () => {
    const reg = memoryRegistry();
    const p = await startItems(reg, {}, {
      Upload: async (reqs: AsyncIterable<unknown>, ctx: HandlerContext) => {
        for await (const _ of reqs) { /* drain */ }
        await new Promise((resolve) => ctx.signal.addEventListener('abort', resolve));
        return { count: 0 };
      },
    });
    const c = createClient(Items, 'items', { registry: reg, streamTimeoutMs: 250 }) as unknown as Client;
    const t0 = Date.now();
    await assert.rejects(c.upload([{ id: 1 }]), (err: unknown) => isKeelError(err, 'deadline'));
    assert.ok(Date.now() - t0 >= 200 && Date.now() - t0 < 3000, `took ${Date.now() - t0} ms`);
    assert.throws(() => createClient(Items, 'items', { registry: reg, streamTimeoutMs: 0 }), { name: 'RangeError', message: /streamTimeoutMs/ });
    c.close();
    await p.server.stop();
  });

  it('bad input fails with bad_option naming the problem; nothing reaches the server', async () => {
    const reg = memoryRegistry();
    const p = await startItems(reg);
    const c = createClient(Items, 'items', { registry: reg }) as unknown as Client;
    const badOption = (what: RegExp) => (err: unknown) => isKeelError(err, 'bad_option') && err.code === status.INVALID_ARGUMENT && what.test(err.message);
    await assert.rejects(c.upload({ id: 1 } as never), badOption(/Upload: is a client-streaming method: pass its requests as an Iterable or AsyncIterable/));
    await assert.rejects(collect(c.chat(42 as never)), badOption(/Chat: is a bidi-streaming method/));
    await assert.rejects(collect(c.listItems([{ count: 1 }] as never)), badOption(/ListItems: takes one request message \(an object\), got an array/));
    await assert.rejects(c.getItem(undefined as never), badOption(/takes one request message/));
    await assert.rejects(c.getItem({ id: 1 }, { timout: 5 }), badOption(/unknown call option "timout"/));
    await assert.rejects(collect(c.listItems({ count: 1 }, { timout: 5 })), badOption(/unknown call option "timout"/));
    await assert.rejects(c.getItem({ id: 1 }, { onHeader: 'x' }), badOption(/onHeader must be a function/));
    await assert.rejects(c.getItem({ id: 1 }, { signal: {} }), badOption(/signal must be an AbortSignal/));
    assert.equal(p.contexts.length, 0);
    c.close();
    await assert.rejects(c.getItem({ id: 1 }), (err: unknown) => isKeelError(err, 'closed'));
    await assert.rejects(collect(c.listItems({ count: 1 })), (err: unknown) => isKeelError(err, 'closed'));
    await p.server.stop();
  });

  it('a handler that returns no iterable for a streaming method fails the call with INTERNAL, saying why', async () => {
    const reg = memoryRegistry();
    const p = await startItems(reg, {}, { ListItems: async () => ({ id: 1 }) });
    const c = createClient(Items, 'items', { registry: reg }) as unknown as Client;
    await assert.rejects(collect(c.listItems({ count: 1 })), (err: unknown) =>
      (err as { code: number }).code === status.INTERNAL && /must return an AsyncIterable or Iterable/.test((err as Error).message));
    c.close();
    await p.server.stop();
  });
});
