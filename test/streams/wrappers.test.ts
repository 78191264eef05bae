import assert from 'node:assert/strict';
import { after, afterEach, describe, it } from 'node:test';
import { status } from '@grpc/grpc-js';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import {
  breaker, createClient, initTracing, isKeelError, keelError, memoryRegistry, rateLimit, roundRobin, tracing, wrapClient,
  wrapHandler, type HandlerContext, type TracingHandle, type Wrapper,
} from '../../src/index';
import { Basis, startBasis, type TestServer } from '../support/basis';
import { collect, Items, startItems, type Item, type ItemsProbe } from '../support/items';

const probes: ItemsProbe[] = [];
const basisServers: TestServer[] = [];
let handle: TracingHandle | undefined;
afterEach(async () => {
  await handle?.shutdown();
  handle = undefined;
});
after(async () => Promise.all([...probes.map((p) => p.server.stop()), ...basisServers.map((s) => s.server.stop())]));

type Client = {
  getItem(req: { id: number }, opts?: object): Promise<Item>;
  listItems(req: { count: number; failAt?: number }, opts?: object): AsyncIterable<Item>;
  upload(reqs: Iterable<Partial<Item>>, opts?: object): Promise<{ count: number }>;
  chat(reqs: Iterable<{ text: string; seq: number }>, opts?: object): AsyncIterable<{ text: string; seq: number }>;
  close(): void;
};
const from = (name: string): string => /from (\S+)/.exec(name)?.[1] ?? '';

describe('every wrapper on every call kind', () => {
  it('the full stack on both sides carries all four kinds', async () => {
    const registry = memoryRegistry();
    probes.push(await startItems(registry, { wrap: wrapHandler(rateLimit(1000), tracing()) }));
    const c = createClient(Items, 'items', { registry, wrap: wrapClient(roundRobin(), rateLimit(1000), breaker(), tracing()) }) as unknown as Client;
    assert.equal((await c.getItem({ id: 7 })).id, 7);
    assert.equal((await collect(c.listItems({ count: 100 }))).length, 100);
    assert.deepEqual(await c.upload([{ id: 1 }, { id: 2 }]), { count: 2, lastId: 2 });
    assert.deepEqual((await collect(c.chat([{ text: 'a', seq: 1 }, { text: 'b', seq: 2 }]))).map((m) => m.seq), [1, 2]);
    c.close();
  });

  it('roundRobin: one pick per stream', async () => {
    const registry = memoryRegistry();
    for (let i = 0; i < 3; i++) probes.push(await startItems(registry));
    const c = createClient(Items, 'items', { registry, wrap: wrapClient(roundRobin()) }) as unknown as Client;
    const counts = new Map<string, number>();
    for (let i = 0; i < 6; i++) {
      const items = await collect(c.listItems({ count: 5 }));
      assert.equal(new Set(items.map((x) => from(x.name))).size, 1, 'one stream went to one node');
      const node = from(items[0]!.name);
      counts.set(node, (counts.get(node) ?? 0) + 1);
    }
    assert.deepEqual([...counts.values()], [2, 2, 2]);
    c.close();
  });

  it('rateLimit: one token per call, at open, on both sides (a stream of 100 messages is one call)', async () => {
    const registry = memoryRegistry();
    probes.push(await startItems(registry, { wrap: wrapHandler(rateLimit(0.001, { wait: false })) }));
    const c = createClient(Items, 'items', { registry }) as unknown as Client;
    assert.equal((await collect(c.listItems({ count: 100 }))).length, 100);
    await assert.rejects(collect(c.listItems({ count: 1 })), (err: unknown) =>
      isKeelError(err, 'rate_limited') && err.code === status.RESOURCE_EXHAUSTED && err.origin === 'remote');
    c.close();
    const reg2 = memoryRegistry();
    probes.push(await startItems(reg2));
    const limited = createClient(Items, 'items', { registry: reg2, wrap: wrapClient(rateLimit(0.001, { wait: false })) }) as unknown as Client;
    assert.deepEqual(await limited.upload([{ id: 1 }, { id: 2 }, { id: 3 }]), { count: 3, lastId: 3 });
    await assert.rejects(limited.upload([{ id: 1 }]), (err: unknown) => isKeelError(err, 'rate_limited') && err.origin === 'local');
    limited.close();
  });

  it("breaker: a stream's outcome is its final status; open circuits refuse new streams; maxConcurrent counts open streams", async () => {
    const registry = memoryRegistry();
    probes.push(await startItems(registry));
    const b = breaker({ volumeThreshold: 3, sleepWindowMs: 60_000 });
    const c = createClient(Items, 'items', { registry, wrap: wrapClient(b) }) as unknown as Client;
    await collect(c.listItems({ count: 3 }));
    for await (const item of c.listItems({ count: 100 })) if (item.id === 2) break; // the consumer left: ignored
    const circuit = (method: string) => b.circuits().find((x) => x.method === `/items.Items/${method}`)!;
    const stats = (): number[] => [circuit('ListItems').requests, circuit('ListItems').failures];
    assert.deepEqual(stats(), [1, 0]);
    // An error mid-stream, after messages, counts: (UNAVAILABLE is a failure by default.)
    const failing = memoryRegistry();
    probes.push(await startItems(failing, {}, {
      ListItems: async function* () {
        yield { id: 1 };
        throw Object.assign(new Error('backend down'), { code: status.UNAVAILABLE });
      },
    }));
    const f = createClient(Items, 'items', { registry: failing, wrap: wrapClient(b) }) as unknown as Client;
    for (let i = 0; i < 3; i++) await assert.rejects(collect(f.listItems({ count: 5 })), { code: status.UNAVAILABLE });
    assert.equal(b.circuits().find((x) => x.failures > 0)?.state, 'open');
    await assert.rejects(collect(f.listItems({ count: 5 })), (err: unknown) => isKeelError(err, 'circuit_open'));
    f.close();
    c.close();

    const cap = breaker({ maxConcurrent: 2 });
    const capped = createClient(Items, 'items', { registry, wrap: wrapClient(cap) }) as unknown as Client;
    const open = [capped.listItems({ count: 100 })[Symbol.asyncIterator](), capped.listItems({ count: 100 })[Symbol.asyncIterator]()];
    for (const s of open) await s.next(); // both streams are open now
    await assert.rejects(collect(capped.listItems({ count: 1 })), (err: unknown) => isKeelError(err, 'max_concurrent'));
    for (const s of open) await s.return?.();
    assert.equal((await collect(capped.listItems({ count: 1 }))).length, 1, 'closing the streams freed their places');
    capped.close();
  });

  it("a reason the server sent counts against it in the caller's breaker; the caller's own refusals do not", async () => {
    const registry = memoryRegistry();
    probes.push(await startItems(registry, {}, {
      GetItem: () => { throw keelError('circuit_open', 'my dependency is down'); },
    }));
    const b = breaker({ volumeThreshold: 3, sleepWindowMs: 60_000 });
    const c = createClient(Items, 'items', { registry, wrap: wrapClient(b) }) as unknown as Client;
    for (let i = 0; i < 3; i++) {
      await assert.rejects(c.getItem({ id: 1 }), (err: unknown) => isKeelError(err, 'circuit_open') && err.origin === 'remote');
    }
    assert.deepEqual(b.circuits().filter((x) => x.method === '/items.Items/GetItem').map((x) => [x.state, x.failures]), [['open', 3]]);
    await assert.rejects(c.getItem({ id: 1 }), (err: unknown) => isKeelError(err, 'circuit_open') && err.origin === 'local');
    c.close();
  });

  it('tracing: one CLIENT and one SERVER span per stream, ended with the final status', async () => {
    const exporter = new InMemorySpanExporter();
    handle = initTracing({ serviceName: 'keel-streams', exporter });
    const registry = memoryRegistry();
    probes.push(await startItems(registry, { wrap: wrapHandler(tracing()) }));
    const c = createClient(Items, 'items', { registry, wrap: wrapClient(tracing()) }) as unknown as Client;
    await collect(c.listItems({ count: 50 }));
    await assert.rejects(collect(c.listItems({ count: 5, failAt: 3 })), { code: status.FAILED_PRECONDITION });
    await c.upload([{ id: 1 }]);
    await collect(c.chat([{ text: 'x', seq: 1 }]));
    await handle.forceFlush();
    const all = exporter.getFinishedSpans();
    const pairs = (kind: SpanKind): string[] => all.filter((s) => s.kind === kind).map((s) => `${s.name}:${s.attributes['rpc.grpc.status_code']}`);
    assert.deepEqual(pairs(SpanKind.CLIENT), ['items.Items/ListItems:0', 'items.Items/ListItems:9', 'items.Items/Upload:0', 'items.Items/Chat:0']);
    assert.deepEqual(pairs(SpanKind.SERVER).sort(), ['items.Items/Chat:0', 'items.Items/ListItems:0', 'items.Items/ListItems:9', 'items.Items/Upload:0']);
    const failed = all.filter((s) => s.attributes['rpc.grpc.status_code'] === 9);
    assert.ok(failed.every((s) => s.status.code === SpanStatusCode.ERROR));
    c.close();
  });

  it('tracing: a server-streaming handler that calls a unary method downstream continues the trace (3 spans, 1 trace)', async () => {
    const exporter = new InMemorySpanExporter();
    handle = initTracing({ serviceName: 'keel-streams', exporter });
    const registry = memoryRegistry();
    basisServers.push(await startBasis(registry, { wrap: wrapHandler(tracing()) }));
    const basis = createClient(Basis, 'basis', { registry, wrap: wrapClient(tracing()) });
    probes.push(await startItems(registry, { wrap: wrapHandler(tracing()) }, {
      ListItems: async function* (_req: unknown, ctx: HandlerContext) {
        yield { id: 0 };
        const { msg } = await basis.hello({ name: 'downstream' }, { deadline: ctx.deadline ?? Infinity });
        yield { id: 1, name: msg };
      },
    }));
    const c = createClient(Items, 'items', { registry, wrap: wrapClient(tracing()) }) as unknown as Client;
    assert.equal((await collect(c.listItems({ count: 1 }))).length, 2);
    await handle.forceFlush();
    const all: ReadableSpan[] = exporter.getFinishedSpans().filter((s) => s.name !== 'basis.Basis/Hello' || s.kind === SpanKind.CLIENT);
    const clientList = all.find((s) => s.kind === SpanKind.CLIENT && s.name === 'items.Items/ListItems');
    const serverList = all.find((s) => s.kind === SpanKind.SERVER && s.name === 'items.Items/ListItems');
    const clientHello = all.find((s) => s.kind === SpanKind.CLIENT && s.name === 'basis.Basis/Hello');
    assert.ok(clientList && serverList && clientHello, all.map((s) => s.name).join(', '));
    const traceId = clientList.spanContext().traceId;
    assert.ok([serverList, clientHello].every((s) => s.spanContext().traceId === traceId), 'one trace');
    assert.equal(serverList.parentSpanContext?.spanId, clientList.spanContext().spanId);
    assert.equal(clientHello.parentSpanContext?.spanId, serverList.spanContext().spanId, 'the downstream call is a child of the handler span');
    basis.close();
    c.close();
  });

  it('composition order holds for streams: first listed outermost, ends seen innermost first', async () => {
    const registry = memoryRegistry();
    probes.push(await startItems(registry));
    const log: string[] = [];
    const logging = (name: string): Wrapper => ({
      name,
      client: (next) => (req, ctx) => {
        log.push(`${name}>`);
        ctx.onEnd((err) => log.push(`<${name}:${err === undefined ? 'ok' : 'err'}`));
        return next(req, ctx);
      },
    });
    const c = createClient(Items, 'items', { registry, wrap: wrapClient(logging('a'), logging('b'), logging('c')) }) as unknown as Client;
    await collect(c.listItems({ count: 3 }));
    assert.deepEqual(log, ['a>', 'b>', 'c>', '<c:ok', '<b:ok', '<a:ok']);
    c.close();
  });
});
