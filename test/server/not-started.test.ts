import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { status } from '@grpc/grpc-js';
import { MeterProvider, MetricReader, type DataPoint } from '@opentelemetry/sdk-metrics';
import {
  createClient, createServer, gone, isKeelError, memoryRegistry, metrics, notStarted, wrapHandler, type HandlerContext, type HandlerWrapper,
  type KeelServer,
} from '../../src/index';
import { eventually } from '../support/basis';
import { Items, type Item } from '../support/items';

/** Reads the SDK's metrics on demand (no exporter, no timer). */
class Reader extends MetricReader {
  protected override async onForceFlush(): Promise<void> {}
  protected override async onShutdown(): Promise<void> {}
}

/**
 * A worker pool as an application writes one, as a handler wrapper: one call in service, the others wait in a
 * FIFO queue — and it knows nothing of deadlines. keel's own check, under it, keeps the calls whose callers
 * left while they waited from being started.
 */
function oneAtATime(): HandlerWrapper {
  let busy = false;
  const waiting: Array<() => void> = [];
  return (next) => async (request, ctx) => {
    if (busy) await new Promise<void>((resolve) => waiting.push(resolve));
    busy = true;
    try {
      return await next(request, ctx);
    } finally {
      busy = false;
      waiting.shift()?.();
    }
  };
}

type Client = { getItem(req: { id: number }, opts?: object): Promise<Item>; close(): void };

describe('a server never works for a caller that has gone', () => {
  const registry = memoryRegistry();
  const reader = new Reader();
  const provider = new MeterProvider({ readers: [reader] });
  const ran: number[] = [];
  const deadlines = new Map<number, number | undefined>();
  let server: KeelServer;
  let client: Client;

  before(async () => {
    server = createServer({ name: 'queued', registry, drainDelayMs: 0, logger: false,
      wrap: wrapHandler(metrics({ meter: provider.getMeter('test') }), oneAtATime()) });
    server.addService(Items, {
      GetItem: async ({ id }: { id: number }, ctx: HandlerContext) => {
        ran.push(id);
        deadlines.set(id, ctx.deadline);
        if (id === 1) await new Promise((r) => setTimeout(r, 400)); // holds the one slot
        return { id, name: `item ${id}` };
      },
    });
    await server.start();
    client = createClient(Items, 'queued', { registry }) as unknown as Client;
    await client.getItem({ id: 0 }); // connected
  });
  after(async () => {
    client.close();
    await server.stop();
    await provider.shutdown();
  });

  it('a call queued past its deadline, and one cancelled while queued, never run their handler and are counted', async () => {
    ran.length = 0;
    const slow = client.getItem({ id: 1 });
    await eventually(() => ran.includes(1), 'the first call holds the slot');
    const late = assert.rejects(client.getItem({ id: 2 }, { timeoutMs: 100 }), { code: status.DEADLINE_EXCEEDED });
    const abort = new AbortController();
    const left = assert.rejects(client.getItem({ id: 3 }, { signal: abort.signal }), { code: status.CANCELLED });
    setTimeout(() => abort.abort(), 50);
    const fine = client.getItem({ id: 4 }); // queued too, but its caller waits
    await late;
    await left;
    assert.equal((await slow).id, 1);
    assert.equal((await fine).id, 4);
    assert.deepEqual(ran, [1, 4], 'the handler ran for the callers still there, only');

    const { resourceMetrics } = await reader.collect();
    const metric = resourceMetrics.scopeMetrics.flatMap((s) => s.metrics).find((m) => m.descriptor.name === 'keel.server.skipped');
    assert.ok(metric, 'keel.server.skipped recorded');
    const byReason = Object.fromEntries((metric.dataPoints as DataPoint<number>[]).map((p) => [String(p.attributes['keel.reason']), p]));
    assert.equal(byReason.deadline?.value, 1);
    assert.equal(byReason.deadline?.attributes['rpc.response.status_code'], 'DEADLINE_EXCEEDED');
    assert.equal(byReason.deadline?.attributes['rpc.method'], 'items.Items/GetItem');
    assert.equal(byReason.cancelled?.value, 1);
    assert.equal(byReason.cancelled?.attributes['rpc.response.status_code'], 'CANCELLED');
  });

  it("ctx.deadline is the caller's deadline, and undefined without one", async () => {
    const deadline = Date.now() + 800;
    await client.getItem({ id: 5 }, { deadline });
    const seen = deadlines.get(5) as number;
    // The server computes it from the time left when it reads the call: later only by its event loop's lag.
    assert.ok(seen >= deadline - 2 && seen <= deadline + 500, `ctx.deadline ${seen} vs the caller's ${deadline}`);
    await client.getItem({ id: 6 }, { timeoutMs: Infinity });
    assert.equal(deadlines.get(6), undefined);
  });
});

describe('gone(ctx) and notStarted(ctx), for a wrapper that queues', () => {
  const ctx = (deadline: number | undefined, aborted: boolean): HandlerContext => {
    const controller = new AbortController();
    if (aborted) controller.abort();
    return { deadline, signal: controller.signal } as HandlerContext;
  };
  const cases: Array<[string, number | undefined, boolean, boolean, string | undefined]> = [
    ['no deadline, not cancelled', undefined, false, false, undefined],
    ['deadline ahead', 1001, false, false, undefined],
    ['deadline now', 1000, false, true, 'deadline'],
    ['deadline passed', 999, false, true, 'deadline'],
    ['cancelled, deadline ahead', 2000, true, true, 'cancelled'],
    ['cancelled after its deadline passed', 10, true, true, 'deadline'],
  ];
  for (const [what, deadline, aborted, isGone, reason] of cases) {
    it(what, () => {
      const c = ctx(deadline, aborted);
      assert.equal(gone(c, 1000), isGone);
      if (reason !== undefined) {
        const err = notStarted(c, 1000);
        assert.ok(isKeelError(err, reason as 'deadline' | 'cancelled'));
        assert.equal(err.code, reason === 'deadline' ? status.DEADLINE_EXCEEDED : status.CANCELLED);
      }
    });
  }
});
