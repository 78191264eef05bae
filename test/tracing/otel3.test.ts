import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { eventually } from '../support/basis';
import { installConsumerApp, type ConsumerApp } from '../support/consumer-app';
import { repoRoot, toolOrSkip } from '../support/external';
import { startInfra, type InfraServer } from '../support/infra';
import { jaegerTrace, type Span } from '../support/jaeger-trace';

// initTracing on the OpenTelemetry SDK 3.x line, as an application on a current Node has it: keel installed
// from its tarball next to the 3.x packages (none of the repository's 2.x), run on Node >= 22.15 (this
// Node if it is one, else the pinned Node 24 from scripts/node-runtime), exporting OTLP into a real Jaeger.
// The 2.x line is what the rest of the suite runs on (the repository's own devDependencies).
const OTEL3 = ['@opentelemetry/api@1.10.0', '@opentelemetry/sdk-trace@3.1.1', '@opentelemetry/core@3.1.1', '@opentelemetry/resources@3.1.1',
  '@opentelemetry/context-async-hooks@3.1.1', '@opentelemetry/exporter-trace-otlp-proto@0.301.1'];

const binary = toolOrSkip('jaeger', 'OpenTelemetry 3.x');
const skip = binary === undefined ? 'KEEL_SKIP_E2E=1 and jaeger is not installed' : false;

function currentNode(): string {
  const [major = 0, minor = 0] = process.versions.node.split('.').map(Number);
  if (major > 22 || (major === 22 && minor >= 15)) return process.execPath;
  return execFileSync(join(repoRoot, 'scripts', 'node-runtime'), ['24'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim();
}

/** A client and a server in one process, both traced, one call; prints the trace id. Plain JS: it runs in the app. */
const APP = `
const { createClient, createServer, initTracing, memoryRegistry, tracing, wrapClient, wrapHandler } = require('keel');
const json = { s: (o) => Buffer.from(JSON.stringify(o)), d: (b) => JSON.parse(b.toString()) };
const Echo = { Hello: { path: '/keel.test.Echo/Hello', requestStream: false, responseStream: false, originalName: 'hello',
  requestSerialize: json.s, requestDeserialize: json.d, responseSerialize: json.s, responseDeserialize: json.d } };
(async () => {
  const traces = initTracing({ serviceName: 'otel3-app', endpoint: process.argv[2] });
  const registry = memoryRegistry();
  const server = createServer({ name: 'echo', registry, drainDelayMs: 0, wrap: wrapHandler(tracing()) });
  server.addService(Echo, { Hello: (req) => ({ msg: 'hi ' + req.name }) });
  await server.start();
  let traceId = '';
  const capture = (next) => async (req, ctx) => {
    try { return await next(req, ctx); } finally { traceId = String(ctx.metadata.get('traceparent')[0]).split('-')[1]; }
  };
  const client = createClient(Echo, 'echo', { registry, wrap: wrapClient(capture, tracing()) });
  const reply = await client.hello({ name: 'otel3' });
  client.close();
  await server.stop();
  await traces.shutdown();
  console.log(JSON.stringify({ reply, traceId, node: process.version, serverId: server.id }));
})().catch((err) => { console.error(err); process.exit(1); });
`;

describe('initTracing on OpenTelemetry SDK 3.x into a real Jaeger', { skip }, () => {
  let jaeger: InfraServer<{ otlpHttp: string; query: string }>;
  let app: ConsumerApp;
  let node: string;
  before(async () => {
    node = currentNode();
    app = installConsumerApp(OTEL3, node);
    jaeger = await startInfra('jaeger');
  });
  after(async () => {
    app?.remove();
    await jaeger?.stop();
  });

  it('exports the client and server spans of a call, parent-linked, over OTLP', async (t) => {
    const sdk = JSON.parse(readFileSync(join(app.dir, 'node_modules', '@opentelemetry', 'sdk-trace', 'package.json'), 'utf8')) as { version: string };
    assert.equal(sdk.version, '3.1.1');
    for (const old of ['sdk-trace-base', 'sdk-trace-node']) assert.ok(!existsSync(join(app.dir, 'node_modules', '@opentelemetry', old)), `${old} is in the app`);
    writeFileSync(join(app.dir, 'traced.js'), APP);
    const out = JSON.parse(app.run(['traced.js', `http://${jaeger.info.otlpHttp}`]).trim().split('\n').at(-1) as string) as { reply: { msg: string }; traceId: string; node: string; serverId: string };
    t.diagnostic(`Node ${out.node}, @opentelemetry/sdk-trace ${sdk.version}`);
    assert.equal(out.reply.msg, 'hi otel3');
    assert.match(out.traceId, /^[0-9a-f]{32}$/);

    let spans: Span[] = [];
    await eventually(async () => (spans = await jaegerTrace(jaeger.info.query, out.traceId)).length >= 2, 'the two spans in Jaeger', 20_000);
    assert.equal(spans.length, 2);
    const client = spans.find((s) => s.tags['span.kind'] === 'client');
    const server = spans.find((s) => s.tags['span.kind'] === 'server');
    assert.ok(client && server);
    assert.equal(server.parent, client.id, 'the server span is the child of the client span');
    for (const s of [client, server]) {
      assert.equal(s.name, 'keel.test.Echo/Hello');
      assert.equal(s.service, 'otel3-app');
      // The resource from the 3.x detectors: the node as the instance, the host, the SDK.
      assert.equal(s.process['service.instance.id'], out.serverId);
      assert.equal(typeof s.process['host.name'], 'string');
      assert.equal(s.process['telemetry.sdk.version'], '3.1.1');
      assert.equal(s.tags['rpc.system'], 'grpc');
      assert.equal(Number(s.tags['rpc.grpc.status_code']), 0);
    }
    assert.equal(client.tags['server.address'], '127.0.0.1');
  });
});
