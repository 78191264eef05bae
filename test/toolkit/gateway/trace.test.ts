import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { SpanKind } from '@opentelemetry/api';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import { initTracing, memoryRegistry, tracing, wrapHandler } from '../../../src/index';
import { startBasis } from '../../support/basis';
import { post, startGateway } from './support';

describe('keel api gateway: tracing', () => {
  const exporter = new InMemorySpanExporter();
  const handle = initTracing({ serviceName: 'keel-gateway-test', exporter, sampleRatio: 1 });
  after(() => handle.shutdown());

  it("continues the caller's traceparent: its span → the gateway's SERVER span → the CLIENT span → the service's span", async () => {
    const registry = memoryRegistry();
    const basis = await startBasis(registry, { wrap: wrapHandler(tracing()) });
    const { gateway, url } = await startGateway(registry);
    try {
      const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
      const parentId = '00f067aa0ba902b7';
      const r = await post(`${url}/rpc`, { service: 'basis', endpoint: 'Basis.Hello', request: { name: 'traced' } }, { traceparent: `00-${traceId}-${parentId}-01` });
      assert.equal(r.status, 200, r.text);
      await handle.forceFlush();
      const spans = exporter.getFinishedSpans();
      const server = spans.find((s) => s.kind === SpanKind.SERVER && s.name === 'POST /rpc');
      const client = spans.find((s) => s.kind === SpanKind.CLIENT && s.name === 'basis.Basis/Hello');
      const service = spans.find((s) => s.kind === SpanKind.SERVER && s.name === 'basis.Basis/Hello');
      assert.ok(server && client && service, `spans: ${spans.map((s) => `${s.name}/${s.kind}`).join(', ')}`);
      assert.equal(server.spanContext().traceId, traceId);
      assert.equal(server.parentSpanContext?.spanId, parentId, "the gateway's span is the caller's child");
      assert.equal(client.spanContext().traceId, traceId, 'the call joins the incoming trace');
      assert.equal(client.parentSpanContext?.spanId, server.spanContext().spanId);
      assert.equal(service.parentSpanContext?.spanId, client.spanContext().spanId);
      assert.equal(server.attributes['http.response.status_code'], 200);
      assert.equal(server.attributes['keel.endpoint'], 'Basis.Hello');
      assert.equal(r.headers.get('x-trace-id'), traceId);
      assert.equal(r.headers.get('traceresponse'), `00-${traceId}-${server.spanContext().spanId}-01`);
    } finally {
      await gateway.close();
      await basis.server.stop();
    }
  });

  it('starts a trace when the request carries none, and names it in the answer (errors too)', async () => {
    exporter.reset();
    const registry = memoryRegistry();
    const { gateway, url } = await startGateway(registry);
    try {
      const r = await post(`${url}/rpc`, { service: 'absent', endpoint: 'A.B', request: {} });
      assert.equal(r.status, 503);
      const traceId = r.headers.get('x-trace-id');
      assert.match(String(traceId), /^[0-9a-f]{32}$/);
      await handle.forceFlush();
      const server = exporter.getFinishedSpans().find((s) => s.name === 'POST /rpc');
      assert.equal(server?.spanContext().traceId, traceId);
      assert.equal(server?.parentSpanContext, undefined, 'a root span');
      assert.equal(server?.attributes['http.response.status_code'], 503);
    } finally {
      await gateway.close();
    }
  });
});
