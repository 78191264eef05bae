import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { createClient, initTracing, memoryRegistry, tracing, wrapClient, wrapHandler } from '../../src/index';
import { Basis, startBasis, type TestServer } from '../support/basis';

// The resource is per initTracing setup (one tracer provider, one identity): each test starts its server
// before any span ends, so service.instance.id is that server's node id; a client-only process is a child.
describe('the tracing resource', () => {
  const servers: TestServer[] = [];
  const saved = { attrs: process.env.OTEL_RESOURCE_ATTRIBUTES, name: process.env.OTEL_SERVICE_NAME };
  after(async () => {
    await Promise.all(servers.map((s) => s.server.stop()));
    for (const [key, value] of [['OTEL_RESOURCE_ATTRIBUTES', saved.attrs], ['OTEL_SERVICE_NAME', saved.name]] as const) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  });

  /** One traced call with the environment as it is; its two spans. */
  async function oneCall(serviceName: string | undefined): Promise<{ server: TestServer; spans: ReadableSpan[] }> {
    const exporter = new InMemorySpanExporter();
    const handle = initTracing({ exporter, ...(serviceName === undefined ? {} : { serviceName }) });
    try {
      const registry = memoryRegistry();
      const server = await startBasis(registry, { version: '1.2.3', wrap: wrapHandler(tracing()) });
      servers.push(server);
      const client = createClient(Basis, 'basis', { registry, wrap: wrapClient(tracing()) });
      await client.hello({ name: 'Ann' });
      client.close();
      await handle.forceFlush();
      return { server, spans: exporter.getFinishedSpans() };
    } finally {
      await handle.shutdown();
    }
  }

  let first: TestServer | undefined;
  it('has the environment, host, process and SDK attributes, and the first server as the instance', async () => {
    process.env.OTEL_RESOURCE_ATTRIBUTES = 'deployment.environment.name=staging,team=payments,service.name=from-attributes';
    process.env.OTEL_SERVICE_NAME = 'from-env';
    const { server, spans } = await oneCall(undefined);
    first = server;
    assert.equal(spans.length, 2);
    for (const span of spans) {
      const r = span.resource.attributes;
      assert.equal(r['service.name'], 'from-env', 'OTEL_SERVICE_NAME over service.name in OTEL_RESOURCE_ATTRIBUTES');
      assert.equal(r['deployment.environment.name'], 'staging');
      assert.equal(r['team'], 'payments');
      assert.equal(r['service.instance.id'], server.id);
      assert.equal(r['service.version'], '1.2.3');
      assert.equal(r['host.name'], hostname());
      assert.equal(r['process.pid'], process.pid);
      assert.equal(r['telemetry.sdk.language'], 'nodejs');
      assert.equal(r['telemetry.sdk.name'], 'opentelemetry');
      assert.equal(typeof r['os.type'], 'string');
    }
  });

  it('takes an explicit serviceName over the environment; a new setup\'s instance is its own first server', async () => {
    process.env.OTEL_SERVICE_NAME = 'from-env';
    const { server, spans } = await oneCall('explicit');
    assert.notEqual(server.id, first?.id);
    for (const span of spans) {
      assert.equal(span.resource.attributes['service.name'], 'explicit');
      // Each initTracing setup settles its own identity (nothing kept in a module): this one's first server.
      assert.equal(span.resource.attributes['service.instance.id'], server.id, 'one setup, one resource: its first server');
    }
    // Which node served is on the server span itself.
    const served = spans.find((s) => s.kind === 1 /* SERVER */);
    assert.equal(served?.attributes['keel.node.id'], server.id);
  });

  it('lets OTEL_RESOURCE_ATTRIBUTES name the instance, and gives a client-only process a random one', () => {
    const script = `
      const { initTracing } = require(${JSON.stringify(join(__dirname, '..', '..', 'src', 'index.js'))});
      const { trace } = require('@opentelemetry/api');
      const seen = [];
      const exporter = { export: (spans, done) => { seen.push(...spans); done({ code: 0 }); }, shutdown: async () => {} };
      const handle = initTracing({ serviceName: 'client-only', exporter });
      trace.getTracer('t').startSpan('one').end();
      handle.shutdown().then(() => console.log(JSON.stringify(seen.map((s) => s.resource.attributes))));`;
    const run = (env: NodeJS.ProcessEnv) => JSON.parse(execFileSync(process.execPath, ['-e', script], {
      env: { ...process.env, OTEL_SERVICE_NAME: '', OTEL_RESOURCE_ATTRIBUTES: '', ...env }, encoding: 'utf8', timeout: 20_000,
    }).trim()) as Array<Record<string, unknown>>;
    const [plain] = run({});
    assert.match(String(plain?.['service.instance.id']), /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    assert.equal(plain?.['service.version'], undefined);
    assert.equal(plain?.['service.name'], 'client-only');
    const [named] = run({ OTEL_RESOURCE_ATTRIBUTES: 'service.instance.id=pod-7,service.version=9.9' });
    assert.equal(named?.['service.instance.id'], 'pod-7');
    assert.equal(named?.['service.version'], '9.9');
  });
});
