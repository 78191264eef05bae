import assert from 'node:assert/strict';
import { createServer as netServer } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { breaker, consulRegistry, createClient, initMetrics, isKeelError, memoryRegistry, metrics, rateLimit, resilienceMetrics,
  wrapClient, wrapHandler, type MetricsHandle, type ResilienceMetrics } from '../../src/index';
import { collect, Items, startItems, type Item, type ItemsProbe } from '../support/items';

type Client = {
  getItem(req: { id: number }, opts?: object): Promise<Item>;
  listItems(req: { count: number; failAt?: number }, opts?: object): AsyncIterable<Item>;
  upload(reqs: Iterable<Partial<Item>>, opts?: object): Promise<{ count: number }>;
  chat(reqs: AsyncIterable<{ text: string; seq: number }> | Iterable<{ text: string; seq: number }>, opts?: object): AsyncIterable<{ seq: number }>;
  close(): void;
};

/** The sample lines of one metric family (`name{labels} value`), parsed. */
function samples(text: string, name: string): Array<{ labels: Record<string, string>; value: number }> {
  const out: Array<{ labels: Record<string, string>; value: number }> = [];
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const labels: Record<string, string> = {};
    for (const [, k, v] of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[k as string] = v as string;
    out.push({ labels, value: Number(m[3]) });
  }
  return out;
}
const one = (text: string, name: string, match: Record<string, string>): number => {
  const found = samples(text, name).filter((s) => Object.entries(match).every(([k, v]) => s.labels[k] === v));
  assert.equal(found.length, 1, `exactly one ${name} ${JSON.stringify(match)}; have:\n${samples(text, name).map((s) => JSON.stringify(s)).join('\n')}`);
  return (found[0] as { value: number }).value;
};

describe('metrics() and initMetrics: a real Prometheus scrape after real calls of every kind', () => {
  let handle: MetricsHandle;
  let probe: ItemsProbe;
  const registry = memoryRegistry();
  let client: Client;
  const b = breaker({ volumeThreshold: 2, errorThresholdPercentage: 50, sleepWindowMs: 60_000, isFailure: () => true });
  const limiter = rateLimit(1, { burst: 1, wait: false });
  let resilience: ResilienceMetrics;
  const scrape = async (): Promise<string> => (await fetch(handle.url as string)).text();

  before(async () => {
    handle = await initMetrics({ serviceName: 'items-test', exporter: 'prometheus', host: '127.0.0.1', port: 0 });
    probe = await startItems(registry, { wrap: wrapHandler(metrics()) });
    resilience = resilienceMetrics({ breakers: { items: b }, rateLimits: { items: limiter } });
    client = createClient(Items, 'items', { registry, wrap: wrapClient(metrics()), observer: resilience.observer }) as unknown as Client;
  });
  after(async () => {
    resilience.close();
    client.close();
    await probe.server.stop();
    await handle.shutdown();
  });

  it('serves /metrics on the port it bound', () => {
    assert.match(handle.url as string, /^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
    assert.doesNotMatch(handle.url as string, /:0\//);
  });

  it('records client and server call durations for all four kinds, with the current semconv labels and buckets', async () => {
    for (let i = 0; i < 3; i++) await client.getItem({ id: i });
    assert.equal((await collect(client.listItems({ count: 4 }))).length, 4);
    assert.equal((await client.upload([{ id: 1 }, { id: 2 }])).count, 2);
    assert.equal((await collect(client.chat([{ text: 'a', seq: 1 }]))).length, 1);
    await assert.rejects(collect(client.listItems({ count: 3, failAt: 2 })), (err: { code?: number }) => err.code === 9);
    const text = await scrape();
    const [host, port] = [probe.server.node!.address.split(':')[0], probe.server.node!.address.split(':')[1]];
    for (const [side, extra] of [['client', { server_address: host as string, server_port: port as string }], ['server', {}]] as const) {
      const family = `rpc_${side}_call_duration`;
      assert.match(text, new RegExp(`# TYPE ${family} histogram`));
      assert.match(text, new RegExp(`# UNIT ${family} s\n`));
      const ok = (method: string) => ({ rpc_method: `items.Items/${method}`, rpc_system_name: 'grpc', rpc_response_status_code: 'OK', ...extra });
      assert.equal(one(text, `${family}_count`, ok('GetItem')), 3);
      assert.equal(one(text, `${family}_count`, ok('ListItems')), 1);
      assert.equal(one(text, `${family}_count`, ok('Upload')), 1);
      assert.equal(one(text, `${family}_count`, ok('Chat')), 1);
      const failed = { rpc_method: 'items.Items/ListItems', rpc_response_status_code: 'FAILED_PRECONDITION' };
      assert.equal(one(text, `${family}_count`, failed), 1);
      // The client marks every failure as an error; a server only those that are its own fault.
      const errorType = samples(text, `${family}_count`).find((s) => s.labels.rpc_response_status_code === 'FAILED_PRECONDITION')?.labels.error_type;
      assert.equal(errorType, side === 'client' ? 'FAILED_PRECONDITION' : undefined);
      // The advised boundaries, cumulative, ending in +Inf = count.
      const buckets = samples(text, `${family}_bucket`).filter((s) => s.labels.rpc_method === 'items.Items/GetItem' && s.labels.rpc_response_status_code === 'OK');
      assert.deepEqual(buckets.map((s) => s.labels.le), ['0.005', '0.01', '0.025', '0.05', '0.075', '0.1', '0.25', '0.5', '0.75', '1', '2.5', '5', '7.5', '10', '+Inf']);
      assert.equal(buckets.at(-1)?.value, 3);
      for (let i = 1; i < buckets.length; i++) assert.ok((buckets[i] as { value: number }).value >= (buckets[i - 1] as { value: number }).value);
      const sum = one(text, `${family}_sum`, ok('GetItem'));
      assert.ok(sum > 0 && sum < 3, `3 loopback calls take between 0 and 3 s, got ${sum}`);
    }
    assert.doesNotMatch(text, /rpc_client_duration/, 'the older names only with OTEL_SEMCONV_STABILITY_OPT_IN=rpc/dup');
  });

  it('keel.reason on keel\'s refusals, and resilience state: breaker, rate limiter, nodes known, watch errors', async () => {
    // Two failures trip ListItems' circuit (volume 2, 50 %): the third call is refused locally. GetItem's stays closed.
    const guarded = createClient(Items, 'items', { registry, wrap: wrapClient(metrics(), b) }) as unknown as Client;
    await guarded.getItem({ id: 1 });
    for (let i = 0; i < 2; i++) await assert.rejects(collect(guarded.listItems({ count: 2, failAt: 1 })), (err: { code?: number }) => err.code === 9);
    await assert.rejects(collect(guarded.listItems({ count: 2 })), (err) => isKeelError(err, 'circuit_open'));
    guarded.close();
    // The limiter admits one call a second (burst 1, no waiting): the second in a row is refused.
    const limited = createClient(Items, 'items', { registry, wrap: wrapClient(metrics(), limiter) }) as unknown as Client;
    await limited.getItem({ id: 1 });
    await assert.rejects(limited.getItem({ id: 2 }), (err) => isKeelError(err, 'rate_limited'));
    limited.close();
    // A Consul that is not there: the watch fails and is counted.
    const closed = netServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const deadPort = (closed.address() as { port: number }).port;
    await new Promise<void>((r) => closed.close(() => r()));
    const dead = consulRegistry({ address: `127.0.0.1:${deadPort}`, backoffMinMs: 20, backoffMaxMs: 50, requestTimeoutMs: 500, observer: resilience.observer });
    const lost = createClient(Items, 'nowhere', { registry: dead, observer: resilience.observer }) as unknown as Client;
    await assert.rejects(lost.getItem({ id: 1 }), (err) => isKeelError(err, 'no_nodes'));
    await new Promise((r) => setTimeout(r, 300));

    const text = await scrape();
    assert.equal(one(text, 'rpc_client_call_duration_count', { rpc_method: 'items.Items/ListItems', keel_reason: 'circuit_open' }), 1);
    assert.equal(one(text, 'rpc_client_call_duration_count', { rpc_method: 'items.Items/GetItem', keel_reason: 'rate_limited' }), 1);
    assert.equal(one(text, 'keel_breaker_state', { keel_breaker: 'items', keel_service: 'items', rpc_method: 'items.Items/GetItem' }), 0);
    assert.equal(one(text, 'keel_breaker_state', { keel_breaker: 'items', rpc_method: 'items.Items/ListItems' }), 2);
    assert.equal(one(text, 'keel_breaker_transitions_total', { rpc_method: 'items.Items/ListItems', keel_breaker_state: 'open' }), 1);
    assert.equal(one(text, 'keel_ratelimit_admitted_total', { keel_limiter: 'items' }), 1);
    assert.equal(one(text, 'keel_ratelimit_refused_total', { keel_limiter: 'items' }), 1);
    assert.equal(one(text, 'keel_ratelimit_waiting', { keel_limiter: 'items' }), 0);
    assert.equal(one(text, 'keel_client_nodes', { rpc_service: 'items' }), 1);
    assert.ok(one(text, 'keel_registry_watch_errors_total', { keel_registry: 'consul', rpc_service: 'nowhere' }) >= 1);
    lost.close();
    await dead.close();
  });
});
