import assert from 'node:assert/strict';
import { createServer, type IncomingMessage } from 'node:http';
import { describe, it } from 'node:test';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { createClient, initMetrics, memoryRegistry, metrics, wrapClient } from '../../src/index';
import { metricsInstallCommand } from '../../src/metrics/init-metrics';
import { Items, startItems, type Item } from '../support/items';

const body = (req: IncomingMessage): Promise<Buffer> => new Promise((resolve) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c)).on('end', () => resolve(Buffer.concat(chunks)));
});

describe('initMetrics', () => {
  it('rejects bad options naming the option, before loading anything', async () => {
    await assert.rejects(initMetrics(undefined as never), TypeError);
    await assert.rejects(initMetrics({ serviceName: '' }), /serviceName/);
    await assert.rejects(initMetrics({ serviceName: 's', exporter: 'statsd' as never }), (e) => e instanceof RangeError && /exporter/.test(e.message));
    await assert.rejects(initMetrics({ serviceName: 's', exporter: 'prometheus', port: 70_000 }), (e) => e instanceof RangeError && /port/.test(e.message));
    await assert.rejects(initMetrics({ serviceName: 's', endpoint: 'not a url' }), (e) => e instanceof TypeError && /endpoint/.test(e.message));
    await assert.rejects(initMetrics({ serviceName: 's', intervalMs: -1 }), /intervalMs/);
    await assert.rejects(initMetrics({ serviceName: 's', colour: 1 } as never), /colour/);
  });

  it('names the 2.x line to install on Node 20 and 3.x from 22.15', () => {
    assert.match(metricsInstallCommand('20.19.0'), /sdk-metrics@2 .*exporter-prometheus@0\.223/);
    assert.doesNotMatch(metricsInstallCommand('22.15.0'), /@2/);
  });

  it('prometheus with port 0 binds a free port the OS picks, so two of them never collide, and says which', async () => {
    const first = await initMetrics({ serviceName: 'zero-a', exporter: 'prometheus', host: '127.0.0.1', port: 0 });
    try {
      // The exporter itself reads 0 as "unset" and binds 9464: the second handle then failed with EADDRINUSE.
      const second = await initMetrics({ serviceName: 'zero-b', exporter: 'prometheus', host: '127.0.0.1', port: 0 });
      try {
        const ports = [first.url, second.url].map((u) => Number(new URL(u).port));
        assert.notEqual(ports[0], ports[1]);
        for (const p of ports) assert.ok(p > 0 && p !== 9464, `bound an ephemeral port, got ${p}`);
        for (const u of [first.url, second.url]) {
          const res = await fetch(u);
          assert.equal(res.status, 200);
          assert.match(res.headers.get('content-type') ?? '', /text\/plain/);
          await res.text();
        }
        assert.equal((await fetch(new URL('/other', first.url))).status, 404);
      } finally {
        await second.shutdown();
      }
      assert.equal(first.exporter, 'prometheus');
    } finally {
      await first.shutdown();
    }
    await assert.rejects(fetch(first.url), 'shutdown closed the server it bound');
  });

  it('otlp (from OTEL_METRICS_EXPORTER): pushes the call durations to the collector at <endpoint>/v1/metrics', async () => {
    const posts: Array<{ url: string; type: string; body: Buffer }> = [];
    const collector = createServer(async (req, res) => {
      posts.push({ url: req.url ?? '', type: String(req.headers['content-type']), body: await body(req) });
      res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
    });
    await new Promise<void>((r) => collector.listen(0, '127.0.0.1', r));
    const { port } = collector.address() as { port: number };
    const saved = process.env.OTEL_METRICS_EXPORTER;
    process.env.OTEL_METRICS_EXPORTER = 'otlp';
    const handle = await initMetrics({ serviceName: 'otlp-test', endpoint: `http://127.0.0.1:${port}`, intervalMs: 60_000 });
    if (saved === undefined) delete process.env.OTEL_METRICS_EXPORTER;
    else process.env.OTEL_METRICS_EXPORTER = saved;
    const registry = memoryRegistry();
    const probe = await startItems(registry);
    const client = createClient(Items, 'items', { registry, wrap: wrapClient(metrics()) }) as unknown as { getItem(r: { id: number }): Promise<Item>; close(): void };
    try {
      await client.getItem({ id: 7 });
      await handle.forceFlush();
      assert.equal(posts.length, 1);
      assert.equal(posts[0]?.url, '/v1/metrics');
      assert.equal(posts[0]?.type, 'application/x-protobuf');
      const text = posts[0]!.body.toString('latin1');
      for (const s of ['rpc.client.call.duration', 'otlp-test', 'items.Items/GetItem', 'rpc.response.status_code']) assert.ok(text.includes(s), `the export carries ${s}`);
    } finally {
      client.close();
      await probe.server.stop();
      await handle.shutdown();
      collector.close();
    }
  });

  it('OTEL_SEMCONV_STABILITY_OPT_IN=rpc/dup adds the older rpc.client.duration (ms) with the older attributes', async () => {
    const saved = process.env.OTEL_SEMCONV_STABILITY_OPT_IN;
    process.env.OTEL_SEMCONV_STABILITY_OPT_IN = 'http,rpc/dup';
    const reader = new PrometheusExporter({ preventServerStart: true });
    const provider = new MeterProvider({ readers: [reader] });
    const registry = memoryRegistry();
    const probe = await startItems(registry);
    const client = createClient(Items, 'items', { registry, wrap: wrapClient(metrics({ meter: provider.getMeter('keel') })) }) as unknown as {
      getItem(r: { id: number }): Promise<Item>; close(): void;
    };
    try {
      await client.getItem({ id: 1 });
      const { resourceMetrics } = await reader.collect();
      const found = resourceMetrics.scopeMetrics.flatMap((s) => s.metrics);
      const names = found.map((m) => `${m.descriptor.name} ${m.descriptor.unit}`).sort();
      assert.deepEqual(names, ['rpc.client.call.duration s', 'rpc.client.duration ms']);
      const old = found.find((m) => m.descriptor.name === 'rpc.client.duration')!.dataPoints[0]!.attributes;
      assert.equal(old['rpc.grpc.status_code'], 0);
      assert.equal(old['rpc.service'], 'items.Items');
      assert.equal(old['rpc.method'], 'GetItem');
    } finally {
      if (saved === undefined) delete process.env.OTEL_SEMCONV_STABILITY_OPT_IN;
      else process.env.OTEL_SEMCONV_STABILITY_OPT_IN = saved;
      client.close();
      await probe.server.stop();
      await provider.shutdown();
    }
  });
});
