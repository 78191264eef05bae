import assert from 'node:assert/strict';
import { after, afterEach, describe, it } from 'node:test';
import { status } from '@grpc/grpc-js';
import { SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { createClient, createServer, hedge, initTracing, memoryRegistry, retry, roundRobin, tracing, wrapClient, wrapHandler, type ClientWrapper, type InitTracingOptions, type TracingHandle } from '../../src/index';
import { registerDeadNode } from '../support/dead-node';
import { Basis, eventually, startBasis, type TestServer } from '../support/basis';
import { collect, Items, startItems, type Item, type ItemsProbe } from '../support/items';

const servers: TestServer[] = [];
const cleanups: Array<() => unknown> = [];
let handle: TracingHandle | undefined;
let exporter = new InMemorySpanExporter();
const setup = (sampleRatio = 1, more: Partial<InitTracingOptions> = {}): void => {
  exporter = new InMemorySpanExporter(); // shutting a provider down stops its exporter for good
  handle = initTracing({ serviceName: 'keel-test', exporter, sampleRatio, ...more });
};
afterEach(async () => {
  await handle?.shutdown();
  handle = undefined;
});
after(async () => {
  await Promise.all([...servers.map((s) => s.server.stop()), ...cleanups.map((f) => f())]);
});
const spans = async (): Promise<ReadableSpan[]> => {
  await handle?.forceFlush();
  return exporter.getFinishedSpans();
};
const byKind = (all: ReadableSpan[], kind: SpanKind): ReadableSpan[] => all.filter((s) => s.kind === kind);

describe('tracing()', () => {
  it('makes a CLIENT span and a SERVER span that is its child, with the RPC conventions', async () => {
    setup();
    const registry = memoryRegistry();
    const s = await startBasis(registry, { wrap: wrapHandler(tracing()) });
    servers.push(s);
    const basis = createClient(Basis, 'basis', { registry, wrap: wrapClient(tracing()) });
    await basis.hello({ name: 'traced' });
    const all = await spans();
    const [client] = byKind(all, SpanKind.CLIENT);
    const [server] = byKind(all, SpanKind.SERVER);
    assert.ok(client && server, `spans: ${all.map((x) => `${x.name}/${x.kind}`)}`);
    assert.equal(client.name, 'basis.Basis/Hello');
    assert.equal(server.name, 'basis.Basis/Hello');
    const port = Number(s.address.split(':')[1]);
    assert.deepEqual(client.attributes, {
      'rpc.system': 'grpc', 'rpc.service': 'basis.Basis', 'rpc.method': 'Hello',
      'server.address': '127.0.0.1', 'server.port': port, 'keel.node.id': s.id, 'rpc.grpc.status_code': 0,
    });
    assert.equal(server.attributes['rpc.grpc.status_code'], 0);
    assert.equal(server.attributes['keel.node.id'], s.id, 'the node that served');
    assert.equal(server.spanContext().traceId, client.spanContext().traceId);
    assert.equal(server.parentSpanContext?.spanId, client.spanContext().spanId);
    assert.equal(client.resource.attributes['service.name'], 'keel-test');
    const md = s.seen[0]?.ctx.metadata;
    assert.match(String(md?.get('traceparent')[0]), new RegExp(`^00-${client.spanContext().traceId}-${client.spanContext().spanId}-01$`));
    assert.deepEqual(md?.get('uber-trace-id'), [], 'W3C only by default');
    basis.close();
  });

  it('sends Jaeger\'s uber-trace-id only where the app asks for it (the option, or OTEL_PROPAGATORS)', async () => {
    const registry = memoryRegistry();
    const s = await startBasis(registry, { wrap: wrapHandler(tracing()) });
    servers.push(s);
    // A client per setup: a tracer is looked up when its client is made, and a shut-down provider's stays dead.
    const headers = async (): Promise<[unknown, unknown, ReadableSpan | undefined]> => {
      const basis = createClient(Basis, 'basis', { registry, wrap: wrapClient(tracing()) });
      await basis.hello({ name: 'x' });
      basis.close();
      const md = s.seen.at(-1)?.ctx.metadata;
      const [client] = byKind(await spans(), SpanKind.CLIENT);
      await handle?.shutdown();
      return [md?.get('traceparent')[0], md?.get('uber-trace-id')[0], client];
    };
    const jaegerOf = (c: ReadableSpan | undefined): RegExp => new RegExp(`^${c?.spanContext().traceId}:${c?.spanContext().spanId}:0:0?1$`);

    setup(1, { propagators: ['tracecontext', 'jaeger'] });
    let [w3c, uber, client] = await headers();
    assert.match(String(w3c), new RegExp(`^00-${client?.spanContext().traceId}-`));
    assert.match(String(uber), jaegerOf(client));

    process.env.OTEL_PROPAGATORS = 'jaeger';
    try {
      setup();
      [w3c, uber, client] = await headers();
      assert.equal(w3c, undefined, 'OTEL_PROPAGATORS=jaeger: Jaeger\'s header alone');
      assert.match(String(uber), jaegerOf(client));
    } finally {
      delete process.env.OTEL_PROPAGATORS;
    }

    setup(1, { propagators: ['none'] });
    [w3c, uber] = await headers();
    assert.deepEqual([w3c, uber], [undefined, undefined]);
  });

  it('below retry() inside a caller\'s span, one CLIENT span per attempt; a retry\'s carries previous-rpc-attempts', async () => {
    setup();
    const registry = memoryRegistry();
    const s = await startBasis(registry);
    servers.push(s);
    await registerDeadNode(registry);
    const basis = createClient(Basis, 'basis', { registry, wrap: wrapClient(retry({ budget: false }), roundRobin(), tracing()) });
    await trace.getTracer('test').startActiveSpan('parent', async (parent) => {
      for (let i = 0; i < 4; i++) await basis.hello({ name: 'x' });
      parent.end();
    });
    const clients = byKind(await spans(), SpanKind.CLIENT);
    const retries = clients.filter((x) => x.attributes['previous-rpc-attempts'] === 1);
    const firsts = clients.filter((x) => x.attributes['previous-rpc-attempts'] === 0);
    assert.equal(firsts.length, 4);
    assert.ok(retries.length >= 2, `${retries.length} retry spans`);
    assert.ok(retries.every((x) => x.status.code !== SpanStatusCode.ERROR && x.attributes['server.port'] === Number(s.address.split(':')[1])));
    assert.equal(firsts.filter((x) => x.status.code === SpanStatusCode.ERROR).length, retries.length, 'each failed first attempt has its ERROR span');
    basis.close();
  });

  it('with no caller span, a retried call is one trace: the call\'s CLIENT span carries the first attempt, later attempts are its numbered children', async () => {
    setup();
    const registry = memoryRegistry();
    const s = await startBasis(registry, { wrap: wrapHandler(tracing()) });
    servers.push(s);
    await registerDeadNode(registry);
    let seen = '';
    // Outermost, as the demo's: the trace id a caller reads from the first attempt's traceparent.
    const show: ClientWrapper = (next) => async (request, ctx) => {
      try {
        return await next(request, ctx);
      } finally {
        seen = String(ctx.metadata.get('traceparent')[0]).split('-')[1] ?? '';
      }
    };
    const basis = createClient(Basis, 'basis', { registry, wrap: wrapClient(show, retry({ budget: false }), roundRobin(), tracing()) });
    const printed: string[] = [];
    for (let i = 0; i < 6; i++) {
      await basis.hello({ name: 'x' });
      printed.push(seen);
    }
    const all = await spans();
    assert.equal(byKind(all, SpanKind.INTERNAL).length, 0, 'no span but the call\'s own over its first attempt');
    const calls = byKind(all, SpanKind.CLIENT).filter((x) => x.parentSpanContext === undefined);
    assert.equal(calls.length, 6, 'one call span per call, the root of its trace');
    assert.deepEqual(new Set(all.map((x) => x.spanContext().traceId)), new Set(printed), 'the printed trace ids are the calls\' traces');
    let retried = 0;
    for (const call of calls) {
      const traceId = call.spanContext().traceId;
      assert.equal(call.name, 'basis.Basis/Hello');
      assert.equal(call.status.code, SpanStatusCode.UNSET);
      assert.equal(call.attributes['rpc.grpc.status_code'], 0);
      assert.equal(call.attributes['server.port'], Number(s.address.split(':')[1]), 'the node that answered');
      const later = byKind(all, SpanKind.CLIENT).filter((x) => x.spanContext().traceId === traceId && x !== call)
        .sort((a, b) => Number(a.attributes['previous-rpc-attempts']) - Number(b.attributes['previous-rpc-attempts']));
      assert.equal(call.attributes['keel.attempts'], 1 + later.length);
      assert.ok(later.every((x) => x.parentSpanContext?.spanId === call.spanContext().spanId), 'each later attempt is a child of the call span');
      assert.deepEqual(later.map((x) => x.attributes['previous-rpc-attempts']), later.map((_, i) => i + 1), 'attempts numbered');
      const failed = call.events.filter((e) => e.name === 'attempt failed');
      if (later.length > 0) {
        retried++;
        assert.equal(later.at(-1)?.status.code, SpanStatusCode.UNSET);
        assert.equal(failed.length, 1, 'the failed first attempt, an event on the call span');
        assert.equal(failed[0]?.attributes?.['error.type'], 'UNAVAILABLE');
        assert.equal(failed[0]?.attributes?.['previous-rpc-attempts'], 0);
        assert.match(String(failed[0]?.attributes?.['keel.node.id']), /^basis-dead-/, 'the node that failed');
        assert.match(String(failed[0]?.attributes?.['exception.message']), /./);
      } else assert.equal(failed.length, 0, 'a first attempt that answered left no event');
      const server = byKind(all, SpanKind.SERVER).filter((x) => x.spanContext().traceId === traceId);
      assert.equal(server.length, 1);
      assert.equal(server[0]?.parentSpanContext?.spanId, (later.at(-1) ?? call).spanContext().spanId, 'the server span is the answering attempt\'s child');
    }
    assert.ok(retried >= 2, `${retried} calls retried`);
    basis.close();
  });

  it('with no caller span, a hedged call is one trace too', async () => {
    setup();
    const registry = memoryRegistry();
    let n = 0;
    servers.push(await startBasis(registry, { hello: async (req: { name: string }) => {
      if (n++ === 0) await new Promise((r) => setTimeout(r, 300)); // the first attempt is slow: a hedge starts
      return { msg: `Hello ${req.name}` };
    } }));
    const basis = createClient(Basis, 'basis', { registry, wrap: wrapClient(hedge({ delayMs: 20, budget: false, idempotent: true }), roundRobin(), tracing()) });
    await basis.hello({ name: 'x' });
    let all: ReadableSpan[] = [];
    await eventually(async () => byKind(all = await spans(), SpanKind.CLIENT).length === 2, 'the call span and the hedge\'s span ended');
    const call = byKind(all, SpanKind.CLIENT).find((x) => x.parentSpanContext === undefined);
    assert.ok(call, `spans: ${all.map((x) => `${x.name}/${SpanKind[x.kind]}`)}`);
    const hedged = byKind(all, SpanKind.CLIENT).filter((x) => x !== call);
    assert.equal(hedged.length, 1);
    assert.equal(call.attributes['keel.attempts'], 2);
    assert.equal(hedged[0]?.parentSpanContext?.spanId, call.spanContext().spanId);
    assert.equal(hedged[0]?.attributes['previous-rpc-attempts'], 1);
    assert.equal(call.status.code, SpanStatusCode.UNSET, 'the hedge answered');
    assert.equal(call.events.filter((e) => e.name === 'attempt failed').length, 0, 'the first attempt, cancelled when the hedge won, did not fail');
    basis.close();
  });

  it('inside a caller\'s span, a retried call\'s attempts are that span\'s children (no call span)', async () => {
    setup();
    const registry = memoryRegistry();
    servers.push(await startBasis(registry));
    const basis = createClient(Basis, 'basis', { registry, wrap: wrapClient(retry({ budget: false }), tracing()) });
    const parentId = await trace.getTracer('test').startActiveSpan('parent', async (parent) => {
      await basis.hello({ name: 'x' });
      parent.end();
      return parent.spanContext().spanId;
    });
    const all = await spans();
    assert.deepEqual(all.map((x) => SpanKind[x.kind]).sort(), ['CLIENT', 'INTERNAL']);
    assert.equal(byKind(all, SpanKind.CLIENT)[0]?.parentSpanContext?.spanId, parentId);
    basis.close();
  });

  it('makes the client span a child of the active span', async () => {
    setup();
    const registry = memoryRegistry();
    servers.push(await startBasis(registry));
    const basis = createClient(Basis, 'basis', { registry, wrap: wrapClient(tracing()) });
    const parentId = await trace.getTracer('test').startActiveSpan('parent', async (parent) => {
      await basis.hello({ name: 'x' });
      parent.end();
      return parent.spanContext().spanId;
    });
    const [client] = byKind(await spans(), SpanKind.CLIENT);
    assert.equal(client?.parentSpanContext?.spanId, parentId);
    basis.close();
  });

  it('marks failures with ERROR status and the gRPC code on both sides', async () => {
    setup();
    const registry = memoryRegistry();
    servers.push(await startBasis(registry, {
      wrap: wrapHandler(tracing()),
      hello: () => { throw Object.assign(new Error('no such user'), { code: status.NOT_FOUND }); },
    }));
    const basis = createClient(Basis, 'basis', { registry, wrap: wrapClient(tracing()) });
    await assert.rejects(basis.hello({ name: 'x' }), { code: status.NOT_FOUND });
    const all = await spans();
    for (const span of all) {
      assert.equal(span.status.code, SpanStatusCode.ERROR, span.name);
      assert.equal(span.attributes['rpc.grpc.status_code'], status.NOT_FOUND);
    }
    assert.equal(all.length, 2);
    basis.close();
  });

  it('continues one trace across two hops (client → front → basis)', async () => {
    setup();
    const registry = memoryRegistry();
    servers.push(await startBasis(registry, { wrap: wrapHandler(tracing()) }));
    const downstream = createClient(Basis, 'basis', { registry, wrap: wrapClient(tracing()) });
    const front = createServer({ name: 'front', registry, drainDelayMs: 0, wrap: wrapHandler(tracing()) });
    front.addService(Basis, {
      Hello: async (req: { name: string }, ctx) => downstream.hello(req, { deadline: ctx.deadline, signal: ctx.signal }),
    });
    cleanups.push(() => front.stop(), () => downstream.close());
    await front.start();
    const client = createClient(Basis, 'front', { registry, wrap: wrapClient(tracing()) });
    await client.hello({ name: 'hop' });
    const all = await spans();
    assert.equal(all.length, 4);
    assert.equal(new Set(all.map((s) => s.spanContext().traceId)).size, 1, 'spans are in more than one trace');
    const root = all.find((s) => s.parentSpanContext === undefined);
    const childOf = (parent: ReadableSpan | undefined): ReadableSpan | undefined =>
      all.find((s) => s.parentSpanContext?.spanId === parent?.spanContext().spanId);
    const chain = [root, childOf(root), childOf(childOf(root)), childOf(childOf(childOf(root)))];
    assert.deepEqual(chain.map((s) => s && SpanKind[s.kind]), ['CLIENT', 'SERVER', 'CLIENT', 'SERVER']);
    client.close();
  });

  it('sends the context but records nothing for an unsampled call', async () => {
    setup(0);
    const registry = memoryRegistry();
    const s = await startBasis(registry, { wrap: wrapHandler(tracing()) });
    servers.push(s);
    const basis = createClient(Basis, 'basis', { registry, wrap: wrapClient(tracing()) });
    await basis.hello({ name: 'x' });
    assert.deepEqual(await spans(), []);
    assert.match(String(s.seen[0]?.ctx.metadata.get('traceparent')[0]), /^00-[0-9a-f]{32}-[0-9a-f]{16}-00$/);
    basis.close();
  });

  it('an unsampled retried call records nothing, and its attempts send the call\'s one context', async () => {
    setup(0);
    const registry = memoryRegistry();
    const s = await startBasis(registry);
    servers.push(s);
    await registerDeadNode(registry);
    const sent: string[][] = [];
    // Below tracing(): what each attempt puts on the wire.
    const wire: ClientWrapper = (next) => (request, ctx) => {
      (sent[ctx.attempt === 1 ? sent.length : sent.length - 1] ??= []).push(String(ctx.metadata.get('traceparent')[0]));
      return next(request, ctx);
    };
    const basis = createClient(Basis, 'basis', { registry, wrap: wrapClient(retry({ budget: false }), roundRobin(), tracing(), wire) });
    for (let i = 0; i < 4; i++) await basis.hello({ name: 'x' });
    assert.deepEqual(await spans(), []);
    const retried = sent.filter((attempts) => attempts.length > 1);
    assert.ok(retried.length >= 1, `${JSON.stringify(sent)}`);
    for (const attempts of sent) {
      assert.ok(attempts.every((t) => /^00-[0-9a-f]{32}-[0-9a-f]{16}-00$/.test(t)), attempts.join());
      assert.equal(new Set(attempts.map((t) => t.split('-')[1])).size, 1, 'one trace id per call');
      assert.equal(new Set(attempts).size, 1, 'every attempt sends the call\'s context (no attempt span is made)');
    }
    assert.equal(new Set(sent.map((a) => a[0]?.split('-')[1])).size, 4, 'a trace per call');
    basis.close();
  });

  it('is harmless with no SDK registered', async () => {
    const registry = memoryRegistry();
    servers.push(await startBasis(registry, { wrap: wrapHandler(tracing()) }));
    const basis = createClient(Basis, 'basis', { registry, wrap: wrapClient(tracing()) });
    assert.match((await basis.hello({ name: 'plain' })).msg, /Hello plain/);
    basis.close();
  });

  it('initTracing rejects bad options, naming them', () => {
    assert.throws(() => initTracing({ serviceName: '' }), { name: 'TypeError', message: /serviceName/ });
    assert.throws(() => initTracing({ serviceName: 's', exporter: 'zipkin' as never }), { name: 'RangeError', message: /exporter/ });
    assert.throws(() => initTracing({ serviceName: 's', sampleRatio: 2 }), { name: 'RangeError', message: /sampleRatio/ });
    assert.throws(() => initTracing({ serviceName: 's', endpoint: 'not a url' }), { name: 'TypeError', message: /endpoint/ });
    assert.throws(() => initTracing({ serviceName: 's', exportDelayMs: -1 }), { name: 'RangeError', message: /exportDelayMs/ });
    assert.throws(() => initTracing({ serviceName: 's', exportDelayMs: '5' as never }), { name: 'TypeError', message: /exportDelayMs/ });
    assert.throws(() => initTracing({ serviceName: 's', propagators: ['b3'] as never }), { name: 'RangeError', message: /propagators/ });
    assert.throws(() => initTracing({ serviceName: 's', propagators: [] }), { name: 'RangeError', message: /propagators/ });
    assert.throws(() => tracing({ tracer: 1, x: 2 } as never), { name: 'TypeError', message: /unknown option "x"/ });
  });

  it('runs every step of a streaming handler in its SERVER span, after awaits too, and two streams keep their own', async () => {
    setup();
    const registry = memoryRegistry();
    // Which span was active at each step of each stream, by the stream's request count (2 and 3 items).
    const seen = new Map<number, Array<string | undefined>>();
    const active = (): string | undefined => trace.getActiveSpan()?.spanContext().spanId;
    const probe: ItemsProbe = await startItems(registry, { wrap: wrapHandler(tracing()) }, {
      ListItems: async function* ({ count }: { count: number }) {
        const steps: Array<string | undefined> = [active()];
        seen.set(count, steps);
        for (let i = 1; i <= count; i++) {
          await new Promise((r) => setTimeout(r, 5)); // a timer between messages: the context must survive it
          steps.push(active());
          yield { id: i, name: `item ${i}` };
          steps.push(active()); // resumed by the next pull
        }
      },
    });
    cleanups.push(() => probe.server.stop());
    const client = createClient(Items, 'items', { registry }) as unknown as { listItems(req: { count: number }): AsyncIterable<Item>; close(): void };
    cleanups.push(() => client.close());
    const [two, three] = await Promise.all([collect(client.listItems({ count: 2 })), collect(client.listItems({ count: 3 }))]);
    assert.equal(two.length, 2);
    assert.equal(three.length, 3);
    const served = byKind(await spans(), SpanKind.SERVER);
    assert.equal(served.length, 2);
    const ids = new Set(served.map((s) => s.spanContext().spanId));
    const first = seen.get(2) ?? [];
    const second = seen.get(3) ?? [];
    assert.equal(first.length, 5);
    assert.equal(second.length, 7);
    for (const steps of [first, second]) {
      assert.ok(steps[0] !== undefined && ids.has(steps[0]), 'the first step runs in a SERVER span');
      assert.deepEqual(steps, steps.map(() => steps[0]), 'every step in the same span');
    }
    assert.notEqual(first[0], second[0], 'each stream in its own span');
  });
});

