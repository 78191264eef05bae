import assert from 'node:assert/strict';
import { createServer as netServer } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { MeterProvider, MetricReader, type ResourceMetrics } from '@opentelemetry/sdk-metrics';
import { consulRegistry, createClient, isKeelError, memoryRegistry, resilienceMetrics, type Registry, type ResilienceMetrics } from '../../src/index';
import { Items, startItems, type Item, type ItemsProbe } from '../support/items';

type Client = { getItem(req: { id: number }): Promise<Item>; close(): void };

/** Collects on demand: each app below has its own provider and reader, as two libraries in one process would. */
class OnDemand extends MetricReader {
  protected async onShutdown(): Promise<void> {}
  protected async onForceFlush(): Promise<void> {}
}

/** `name`'s data points as `{ attributes, value }`. */
function points(metrics: ResourceMetrics, name: string): Array<{ attributes: Record<string, unknown>; value: number }> {
  return metrics.scopeMetrics.flatMap((s) => s.metrics).filter((m) => m.descriptor.name === name)
    .flatMap((m) => m.dataPoints.map((p) => ({ attributes: p.attributes, value: p.value as number })));
}

/** A port nothing listens on (bound, then closed): a Consul that is not there. */
async function deadPort(): Promise<number> {
  const s = netServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

interface App {
  registry: Registry;
  servers: ItemsProbe[];
  client: Client;
  resilience: ResilienceMetrics;
  reader: OnDemand;
  provider: MeterProvider;
}

describe('two apps in one process: each resilienceMetrics sees only the registries and clients given its observer', () => {
  const apps: App[] = [];
  let dead: Registry;
  let lost: Client;

  before(async () => {
    // App a: two servers; app b: one. A process-wide count would give both 3.
    for (const serverCount of [2, 1]) {
      const reader = new OnDemand();
      const provider = new MeterProvider({ readers: [reader] });
      const resilience = resilienceMetrics({ meter: provider.getMeter('keel') });
      const registry = memoryRegistry();
      const servers: ItemsProbe[] = [];
      for (let i = 0; i < serverCount; i++) servers.push(await startItems(registry));
      const client = createClient(Items, 'items', { registry, observer: resilience.observer }) as unknown as Client;
      apps.push({ registry, servers, client, resilience, reader, provider });
    }
    // Only app a measures its (unreachable) Consul and the client that watches it.
    const a = apps[0] as App;
    dead = consulRegistry({ address: `127.0.0.1:${await deadPort()}`, backoffMinMs: 20, backoffMaxMs: 50, requestTimeoutMs: 500, observer: a.resilience.observer });
    lost = createClient(Items, 'nowhere', { registry: dead, observer: a.resilience.observer }) as unknown as Client;
  });
  after(async () => {
    lost.close();
    await dead.close();
    for (const app of apps) {
      app.client.close();
      app.resilience.close();
      for (const s of app.servers) await s.server.stop();
      await app.provider.shutdown();
    }
  });

  it('counts nodes and watch errors per app, never summed over the process', async () => {
    const [a, b] = apps as [App, App];
    await a.client.getItem({ id: 1 });
    await b.client.getItem({ id: 2 });
    await assert.rejects(lost.getItem({ id: 1 }), (err) => isKeelError(err, 'no_nodes'));
    // The Consul watch fails and retries every 20–50 ms; wait (bounded) until it has been counted.
    const until = Date.now() + 10_000;
    let ofA: ResourceMetrics;
    for (;;) {
      ofA = (await a.reader.collect()).resourceMetrics;
      if (points(ofA, 'keel.registry.watch.errors').length > 0 || Date.now() > until) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    const ofB = (await b.reader.collect()).resourceMetrics;

    assert.deepEqual(points(ofA, 'keel.client.nodes').map((p) => [p.attributes['rpc.service'], p.value]), [['items', 2]], 'the client of nowhere never had a list');
    assert.deepEqual(points(ofB, 'keel.client.nodes').map((p) => [p.attributes['rpc.service'], p.value]), [['items', 1]]);
    const errors = points(ofA, 'keel.registry.watch.errors');
    assert.equal(errors.length, 1, JSON.stringify(errors));
    assert.deepEqual(errors[0]?.attributes, { 'keel.registry': 'consul', 'rpc.service': 'nowhere' });
    assert.ok((errors[0]?.value ?? 0) >= 1);
    assert.deepEqual(points(ofB, 'keel.registry.watch.errors'), [], 'app b watches no Consul');
  });

  it('a closed client drops out of its app\'s count only', async () => {
    const [a, b] = apps as [App, App];
    const extra = createClient(Items, 'items', { registry: b.registry, observer: b.resilience.observer }) as unknown as Client;
    await extra.getItem({ id: 3 });
    const nodes = async (app: App) =>
      points((await app.reader.collect()).resourceMetrics, 'keel.client.nodes').find((p) => p.attributes['rpc.service'] === 'items')?.value;
    assert.equal(await nodes(b), 2, 'two clients of app b know one node each');
    assert.equal(await nodes(a), 2);
    extra.close();
    assert.equal(await nodes(b), 1);
    assert.equal(await nodes(a), 2);
  });
});

describe('observer option', () => {
  it('is refused by name when it is not an observer', () => {
    const registry = memoryRegistry();
    assert.throws(() => createClient(Items, 'items', { registry, observer: 42 as never }), /createClient: observer must be an object/);
    assert.throws(() => createClient(Items, 'items', { registry, observer: { knownNodes: 'yes' } as never }), TypeError);
    assert.throws(() => consulRegistry({ observer: null as never }), /consulRegistry: observer must be an object/);
  });

  it('a throwing observer does not break the client that reports to it', async () => {
    const registry = memoryRegistry();
    const probe = await startItems(registry);
    let told = 0;
    const client = createClient(Items, 'items', { registry, observer: { knownNodes: () => { told++; throw new Error('observer bug'); } } }) as unknown as Client;
    try {
      assert.equal((await client.getItem({ id: 7 })).id, 7);
      assert.ok(told >= 1);
    } finally {
      client.close();
      await probe.server.stop();
    }
  });
});
