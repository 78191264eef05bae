import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { status } from '@grpc/grpc-js';
import { MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import { createClient, createServer, isKeelError, memoryRegistry, metrics, wrapHandler, type HandlerContext, type KeelServer } from '../../src/index';
import { callerGone, DEADLINE_SLACK_MS } from '../../src/server/caller-gone';
import { eventually } from '../support/basis';
import { collect, Items, type Item } from '../support/items';

/** Reads the SDK's metrics on demand (no exporter, no timer). */
class Reader extends MetricReader {
  protected override async onForceFlush(): Promise<void> {}
  protected override async onShutdown(): Promise<void> {}
}

type Client = {
  listItems(req: { count: number }, opts?: object): AsyncIterable<Item>;
  upload(reqs: AsyncIterable<Partial<Item>>, opts?: object): Promise<{ count: number }>;
  close(): void;
};

/** A request stream that sends one message and then never ends (until the call does). */
async function* oneThenWait(signal: AbortSignal): AsyncGenerator<Partial<Item>> {
  yield { id: 1 };
  await new Promise((resolve) => signal.addEventListener('abort', resolve));
}

describe('a stream whose caller has gone says why: its deadline passed, or it cancelled', () => {
  const registry = memoryRegistry();
  const reader = new Reader();
  const provider = new MeterProvider({ readers: [reader] });
  const reasons = new Map<number, unknown>();
  const thrown = new Map<number, unknown>();
  let server: KeelServer;
  let client: Client;
  const stopSources = new AbortController();

  before(async () => {
    server = createServer({ name: 'gone', registry, drainDelayMs: 0, logger: false, wrap: wrapHandler(metrics({ meter: provider.getMeter('test') })) });
    server.addService(Items, {
      // Yields one item, then waits for the caller to go: `count` tells the calls apart.
      ListItems: async function* ({ count }: { count: number }, ctx: HandlerContext) {
        yield { id: 1, name: 'one' };
        await new Promise((resolve) => ctx.signal.addEventListener('abort', resolve));
        reasons.set(count, ctx.signal.reason);
      },
      Upload: async (items: AsyncIterable<Item>, ctx: HandlerContext) => {
        let count = 0;
        try {
          for await (const item of items) count += item.id;
        } catch (err) {
          thrown.set(100 + count, err);
          reasons.set(100 + count, ctx.signal.reason);
          throw err;
        }
        return { count, lastId: 0 };
      },
    });
    await server.start();
    client = createClient(Items, 'gone', { registry }) as unknown as Client;
  });
  after(async () => {
    stopSources.abort();
    client.close();
    await server.stop();
    await provider.shutdown();
  });

  /** The server's call counts for `method`, by status. */
  async function serverStatuses(method: string): Promise<Record<string, number>> {
    const { resourceMetrics } = await reader.collect();
    const metric = resourceMetrics.scopeMetrics.flatMap((s) => s.metrics).find((m) => m.descriptor.name === 'rpc.server.call.duration');
    const out: Record<string, number> = {};
    for (const p of metric?.dataPoints ?? []) {
      if (p.attributes['rpc.method'] !== `items.Items/${method}`) continue;
      const code = String(p.attributes['rpc.response.status_code']);
      out[code] = (out[code] ?? 0) + (p.value as { count: number }).count;
    }
    return out;
  }

  it('server stream: the deadline is recorded as DEADLINE_EXCEEDED and the handler signal aborts with reason deadline', async () => {
    await assert.rejects(collect(client.listItems({ count: 1 }, { timeoutMs: 300 })), { code: status.DEADLINE_EXCEEDED });
    await eventually(() => reasons.has(1), 'the handler saw its signal abort');
    const reason = reasons.get(1);
    assert.ok(isKeelError(reason, 'deadline'), `abort reason: ${String(reason)}`);
    assert.equal((reason as { code: number }).code, status.DEADLINE_EXCEEDED);
    await eventually(async () => (await serverStatuses('ListItems')).DEADLINE_EXCEEDED === 1, 'the server recorded DEADLINE_EXCEEDED');
    assert.equal((await serverStatuses('ListItems')).CANCELLED, undefined, 'and not CANCELLED');
  });

  it('server stream: a caller that cancels long before its deadline is recorded as CANCELLED, reason cancelled', async () => {
    const abort = new AbortController();
    const stream = client.listItems({ count: 2 }, { signal: abort.signal, timeoutMs: 30_000 });
    const done = assert.rejects(collect(stream), { code: status.CANCELLED });
    setTimeout(() => abort.abort(), 100);
    await done;
    await eventually(() => reasons.has(2), 'the handler saw its signal abort');
    assert.ok(isKeelError(reasons.get(2), 'cancelled'), `abort reason: ${String(reasons.get(2))}`);
    await eventually(async () => (await serverStatuses('ListItems')).CANCELLED === 1, 'the server recorded CANCELLED');
  });

  it('client stream: the request stream throws the deadline error, recorded as DEADLINE_EXCEEDED', async () => {
    // The source never ends while the test runs: ending it would half-close a call the server may still see.
    await assert.rejects(client.upload(oneThenWait(stopSources.signal), { timeoutMs: 300 }), { code: status.DEADLINE_EXCEEDED });
    await eventually(() => thrown.has(101), 'the handler saw its request stream fail');
    assert.ok(isKeelError(thrown.get(101), 'deadline'), `thrown: ${String(thrown.get(101))}`);
    assert.ok(isKeelError(reasons.get(101), 'deadline'));
    await eventually(async () => (await serverStatuses('Upload')).DEADLINE_EXCEEDED === 1, 'the server recorded DEADLINE_EXCEEDED');
  });
});

describe('callerGone', () => {
  const cases: Array<[string, number | undefined, 'deadline' | 'cancelled']> = [
    ['no deadline', undefined, 'cancelled'],
    ['deadline well ahead', 1000 + DEADLINE_SLACK_MS + 1, 'cancelled'],
    ['deadline within the slack (the caller\'s timer fired first)', 1000 + DEADLINE_SLACK_MS, 'deadline'],
    ['deadline passed', 999, 'deadline'],
  ];
  for (const [what, deadline, reason] of cases) {
    it(what, () => {
      const err = callerGone(deadline, 1000);
      assert.ok(isKeelError(err, reason));
      assert.equal(err.code, reason === 'deadline' ? status.DEADLINE_EXCEEDED : status.CANCELLED);
    });
  }
});
