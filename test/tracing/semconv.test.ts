import assert from 'node:assert/strict';
import { after, afterEach, describe, it } from 'node:test';
import { status } from '@grpc/grpc-js';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import { createClient, initTracing, memoryRegistry, tracing, wrapClient, wrapHandler, type TracingHandle } from '../../src/index';
import { rpcNames } from '../../src/tracing/rpc-names';
import { endAttributes, isErrorStatus, semconvMode, startAttributes } from '../../src/tracing/semconv';
import { Basis, startBasis, type TestServer } from '../support/basis';

describe('semantic conventions: the choice (OTEL_SEMCONV_STABILITY_OPT_IN)', () => {
  const table: Array<[string | undefined, string]> = [
    [undefined, 'old'], ['', 'old'], ['http', 'old'], ['rpc', 'stable'], [' http , rpc ', 'stable'],
    ['rpc/dup', 'dup'], ['rpc,rpc/dup', 'dup'], ['rpc/dup,rpc', 'dup'], ['RPC', 'stable'], ['rpcx', 'old'],
  ];
  for (const [env, mode] of table) it(`${JSON.stringify(env)} → ${mode}`, () => assert.equal(semconvMode(env), mode));

  it('start attributes per mode', () => {
    const names = rpcNames('/basis.Basis/Hello');
    assert.deepEqual(startAttributes(names, 'old'), { 'rpc.system': 'grpc', 'rpc.service': 'basis.Basis', 'rpc.method': 'Hello' });
    assert.deepEqual(startAttributes(names, 'stable'), { 'rpc.system.name': 'grpc', 'rpc.method': 'basis.Basis/Hello' });
    assert.deepEqual(startAttributes(names, 'dup'),
      { 'rpc.system': 'grpc', 'rpc.service': 'basis.Basis', 'rpc.system.name': 'grpc', 'rpc.method': 'basis.Basis/Hello' });
  });

  it('end attributes and error classification per side and mode', () => {
    assert.deepEqual(endAttributes('client', status.OK, 'old'), { 'rpc.grpc.status_code': 0 });
    // error.type in every mode, wherever the span is marked as an error (every failure under the old conventions).
    assert.deepEqual(endAttributes('server', status.NOT_FOUND, 'old'), { 'rpc.grpc.status_code': 5, 'error.type': 'NOT_FOUND' });
    assert.deepEqual(endAttributes('client', status.UNAVAILABLE, 'old'), { 'rpc.grpc.status_code': 14, 'error.type': 'UNAVAILABLE' });
    assert.deepEqual(endAttributes('client', status.OK, 'stable'), { 'rpc.response.status_code': 'OK' });
    assert.deepEqual(endAttributes('client', status.NOT_FOUND, 'stable'), { 'rpc.response.status_code': 'NOT_FOUND', 'error.type': 'NOT_FOUND' });
    // A server answering NOT_FOUND did its job: no error.type under the stable conventions.
    assert.deepEqual(endAttributes('server', status.NOT_FOUND, 'stable'), { 'rpc.response.status_code': 'NOT_FOUND' });
    assert.deepEqual(endAttributes('server', status.UNAVAILABLE, 'dup'),
      { 'rpc.grpc.status_code': 14, 'rpc.response.status_code': 'UNAVAILABLE', 'error.type': 'UNAVAILABLE' });
    assert.deepEqual(endAttributes('client', 99, 'stable'), { 'rpc.response.status_code': '99', 'error.type': '99' });
    const cases: Array<['client' | 'server', number, 'old' | 'stable' | 'dup', boolean]> = [
      ['client', status.OK, 'stable', false], ['client', status.NOT_FOUND, 'stable', true], ['client', status.CANCELLED, 'old', true],
      ['server', status.NOT_FOUND, 'old', true], ['server', status.NOT_FOUND, 'dup', true], ['server', status.NOT_FOUND, 'stable', false],
      ['server', status.INTERNAL, 'stable', true], ['server', status.DEADLINE_EXCEEDED, 'stable', true], ['server', status.OK, 'old', false],
    ];
    for (const [kind, code, mode, error] of cases) assert.equal(isErrorStatus(kind, code, mode), error, `${kind} ${code} ${mode}`);
  });
});

describe('semantic conventions on real calls', () => {
  const servers: TestServer[] = [];
  let handle: TracingHandle | undefined;
  const saved = process.env.OTEL_SEMCONV_STABILITY_OPT_IN;
  afterEach(async () => {
    await handle?.shutdown();
    if (saved === undefined) delete process.env.OTEL_SEMCONV_STABILITY_OPT_IN;
    else process.env.OTEL_SEMCONV_STABILITY_OPT_IN = saved;
  });
  after(() => Promise.all(servers.map((s) => s.server.stop())));

  /** One OK and one NOT_FOUND call with `optIn` set when the wrappers are made; the spans by kind and name. */
  async function spansWith(optIn: string) {
    process.env.OTEL_SEMCONV_STABILITY_OPT_IN = optIn;
    const exporter = new InMemorySpanExporter();
    handle = initTracing({ serviceName: 'semconv', exporter });
    const registry = memoryRegistry();
    const s = await startBasis(registry, {
      wrap: wrapHandler(tracing()),
      hello: (req) => {
        if (req.name === 'nobody') throw Object.assign(new Error('no such user'), { code: status.NOT_FOUND });
        return { msg: 'hi' };
      },
    });
    servers.push(s);
    const client = createClient(Basis, 'basis', { registry, wrap: wrapClient(tracing()) });
    await client.hello({ name: 'Ann' });
    await assert.rejects(client.hello({ name: 'nobody' }), { code: status.NOT_FOUND });
    client.close();
    await handle.forceFlush();
    const all = exporter.getFinishedSpans();
    assert.equal(all.length, 4);
    const pick = (kind: SpanKind, i: number) => all.filter((x) => x.kind === kind)[i]!;
    return { port: Number(s.address.split(':')[1]), nodeId: s.server.id, okClient: pick(SpanKind.CLIENT, 0), okServer: pick(SpanKind.SERVER, 0), failClient: pick(SpanKind.CLIENT, 1), failServer: pick(SpanKind.SERVER, 1) };
  }

  it('rpc: only the stable attributes; a NOT_FOUND is an error for the client, not the server', async () => {
    const { port, nodeId, okClient, okServer, failClient, failServer } = await spansWith('rpc');
    assert.deepEqual(okClient.attributes, {
      'rpc.system.name': 'grpc', 'rpc.method': 'basis.Basis/Hello', 'server.address': '127.0.0.1', 'server.port': port, 'keel.node.id': nodeId,
      'rpc.response.status_code': 'OK',
    });
    assert.deepEqual(okServer.attributes, { 'rpc.system.name': 'grpc', 'rpc.method': 'basis.Basis/Hello', 'keel.node.id': nodeId, 'rpc.response.status_code': 'OK' });
    assert.equal(failClient.attributes['error.type'], 'NOT_FOUND');
    assert.equal(failClient.attributes['rpc.response.status_code'], 'NOT_FOUND');
    assert.equal(failClient.status.code, SpanStatusCode.ERROR);
    assert.deepEqual(failClient.events.map((e) => [e.name, e.attributes?.['exception.message']]), [['exception', '5 NOT_FOUND: no such user']]);
    assert.deepEqual(failServer.attributes, { 'rpc.system.name': 'grpc', 'rpc.method': 'basis.Basis/Hello', 'keel.node.id': nodeId, 'rpc.response.status_code': 'NOT_FOUND' });
    assert.equal(failServer.status.code, SpanStatusCode.UNSET);
    assert.equal(failServer.events.length, 0, 'no exception event on a span that is not an error');
  });

  it('rpc/dup: both sets (rpc.method fully qualified), and every failure an error as before', async () => {
    const { okClient, failServer } = await spansWith('rpc/dup');
    for (const key of ['rpc.system', 'rpc.service', 'rpc.grpc.status_code', 'rpc.system.name', 'rpc.response.status_code']) {
      assert.ok(key in okClient.attributes, key);
    }
    assert.equal(okClient.attributes['rpc.method'], 'basis.Basis/Hello');
    assert.equal(failServer.attributes['rpc.grpc.status_code'], status.NOT_FOUND);
    assert.equal(failServer.attributes['rpc.response.status_code'], 'NOT_FOUND');
    assert.equal(failServer.status.code, SpanStatusCode.ERROR);
    assert.equal(failServer.attributes['error.type'], 'NOT_FOUND');
    assert.deepEqual(failServer.events.map((e) => [e.name, e.attributes?.['exception.type'], e.attributes?.['exception.message']]),
      [['exception', 'Error', 'no such user']]);
  });
});
