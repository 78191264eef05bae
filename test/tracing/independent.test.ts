import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { createClient, initTracing, memoryRegistry, tracing, wrapClient, wrapHandler } from '../../src/index';
import { Basis, replier, startBasis, type TestServer } from '../support/basis';

const SERVER = 1; // SpanKind.SERVER
const CLIENT = 2; // SpanKind.CLIENT

// Issue 22: nothing in tracing is shared through a module. Two servers in one process each name themselves on
// their spans, two clients keep their own attribute caches, and each initTracing setup settles its own identity.
describe('tracing state per server, client and setup', () => {
  const servers: TestServer[] = [];
  after(() => Promise.all(servers.map((s) => s.server.stop())));

  /** Spans of `run` under a fresh initTracing setup, shut down after. */
  async function traced(run: () => Promise<void>): Promise<ReadableSpan[]> {
    const exporter = new InMemorySpanExporter();
    const handle = initTracing({ exporter, exportDelayMs: 0 });
    try {
      await run();
      await handle.forceFlush();
      return exporter.getFinishedSpans();
    } finally {
      await handle.shutdown();
    }
  }

  it('two servers in one process: each server span names its own node, the resource the first server', async () => {
    let a: TestServer | undefined;
    let b: TestServer | undefined;
    const spans = await traced(async () => {
      // Two registries, one server each: each client reaches one server, with its own tracing() instance.
      const [ra, rb] = [memoryRegistry(), memoryRegistry()];
      a = await startBasis(ra, { version: '1.0.0', wrap: wrapHandler(tracing()) });
      b = await startBasis(rb, { version: '2.0.0', wrap: wrapHandler(tracing()) });
      servers.push(a, b);
      const toA = createClient(Basis, 'basis', { registry: ra, wrap: wrapClient(tracing()) });
      const toB = createClient(Basis, 'basis', { registry: rb, wrap: wrapClient(tracing()) });
      try {
        for (let i = 0; i < 3; i++) {
          assert.equal(replier((await toA.hello({ name: 'a' })).msg), a.id);
          assert.equal(replier((await toB.hello({ name: 'b' })).msg), b.id);
        }
      } finally {
        toA.close();
        toB.close();
      }
    });
    assert.ok(a !== undefined && b !== undefined && a.id !== b.id);
    const served = spans.filter((s) => s.kind === SERVER);
    const calls = spans.filter((s) => s.kind === CLIENT);
    assert.equal(served.length, 6);
    assert.equal(calls.length, 6);
    for (const [server, other] of [[a, b], [a, b].reverse()] as Array<[TestServer, TestServer]>) {
      const port = Number(server.address.split(':').pop());
      const mine = calls.filter((s) => s.attributes['server.port'] === port);
      assert.equal(mine.length, 3, `three calls to ${server.id}`);
      for (const span of mine) assert.equal(span.attributes['keel.node.id'], server.id, 'the client span names the node it called');
      const handled = served.filter((s) => s.attributes['keel.node.id'] === server.id);
      assert.equal(handled.length, 3, `three server spans with ${server.id}, none with ${other.id}`);
      // Each server span is the child of the client span that called that server: its trace went there.
      for (const span of handled) assert.ok(mine.some((c) => c.spanContext().spanId === span.parentSpanContext?.spanId));
    }
    // One setup, one resource: its instance is the first server started under it.
    for (const span of spans) assert.equal(span.resource.attributes['service.instance.id'], a.id);
  });

  it('a second setup in the same process settles its own identity: its first server, not the earlier one', async () => {
    let c: TestServer | undefined;
    const spans = await traced(async () => {
      const registry = memoryRegistry();
      c = await startBasis(registry, { version: '3.0.0', wrap: wrapHandler(tracing()) });
      servers.push(c);
      const client = createClient(Basis, 'basis', { registry, wrap: wrapClient(tracing()) });
      await client.hello({ name: 'c' });
      client.close();
    });
    assert.equal(spans.length, 2);
    for (const span of spans) {
      assert.equal(span.resource.attributes['service.instance.id'], c?.id, 'a module-wide identity would still name the first test\'s server');
      assert.equal(span.resource.attributes['service.version'], '3.0.0');
    }
  });

  it('a server started with no keel setup registered reports to nobody; the setup made after it identifies itself', async () => {
    const registry = memoryRegistry();
    const early = await startBasis(registry, { wrap: wrapHandler(tracing()) });
    servers.push(early);
    const spans = await traced(async () => {
      const client = createClient(Basis, 'basis', { registry, wrap: wrapClient(tracing()) });
      await client.hello({ name: 'd' });
      client.close();
    });
    assert.equal(spans.length, 2);
    const id = spans[0]?.resource.attributes['service.instance.id'];
    assert.match(String(id), /^[0-9a-f]{8}-[0-9a-f]{4}-/, 'a random UUID, as the SDK would give a client');
    assert.notEqual(id, early.id);
  });
});
