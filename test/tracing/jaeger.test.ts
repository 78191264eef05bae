import assert from 'node:assert/strict';
import { execFile, fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { createClient, initTracing, memoryRegistry, retry, roundRobin, tracing, wrapClient, wrapHandler, type ClientWrapper } from '../../src/index';
import { Basis, eventually, startBasis, type TestServer } from '../support/basis';
import { registerDeadNode } from '../support/dead-node';
import { toolOrSkip } from '../support/external';
import { startInfra, type InfraServer } from '../support/infra';
import { jaegerTrace, type Span, type Tag } from '../support/jaeger-trace';

const binary = toolOrSkip('jaeger', 'Jaeger');
const skip = binary === undefined ? 'KEEL_SKIP_E2E=1 and jaeger is not installed' : false;
const run = promisify(execFile);
const dist = join(__dirname, '..', '..');

interface JaegerInfo {
  otlpHttp: string;
  thriftHttp: string;
  query: string;
}
interface Call {
  target: 'front' | 'basis';
  name: string;
  traceId: string;
  ok: boolean;
  code?: number;
}
/** The spans as a chain from the root, each the child of the one before: `service/kind` per hop. */
function chain(spans: Span[]): string[] {
  const out: string[] = [];
  let at = spans.find((s) => s.parent === undefined);
  while (at !== undefined) {
    out.push(`${at.service}/${at.kind}`);
    const parent: Span = at;
    at = spans.find((s) => s.parent === parent.id);
  }
  return out;
}

/** The node id the child reports when it is ready. */
async function waitReady(child: ChildProcess): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    child.once('message', (m) => resolve(String((m as { id?: unknown }).id)));
    child.once('exit', (code) => reject(new Error(`exited with ${code} before it was ready`)));
  });
}

describe('traces in a real Jaeger', { skip }, () => {
  let jaeger: InfraServer<JaegerInfo>;
  before(async () => {
    jaeger = await startInfra<JaegerInfo>('jaeger');
  });
  after(async () => {
    await jaeger?.stop();
  });

  it('holds one trace per call when calls are retried and the caller has no span open (30 calls, 30 traces)', async () => {
    const serviceName = `retried-${process.pid}-${Date.now()}`;
    const traced = initTracing({ serviceName, endpoint: `http://${jaeger.info.otlpHttp}`, exportDelayMs: 100 });
    const registry = memoryRegistry();
    const printed: string[] = [];
    let client: ReturnType<typeof createClient<typeof Basis>> | undefined;
    let server: TestServer | undefined;
    try {
      server = await startBasis(registry, { wrap: wrapHandler(tracing()) });
      await registerDeadNode(registry);
      // What the demo prints: the trace id in the first attempt's traceparent, read by the outermost wrapper.
      const show: ClientWrapper = (next) => async (request, ctx) => {
        try {
          return await next(request, ctx);
        } finally {
          printed.push(String(ctx.metadata.get('traceparent')[0]).split('-')[1] ?? '');
        }
      };
      client = createClient(Basis, 'basis', { registry, wrap: wrapClient(show, retry({ budget: false }), roundRobin(), tracing()) });
      for (let i = 0; i < 30; i++) await client.hello({ name: `n${i}` });
      await traced.forceFlush();
    } finally {
      client?.close();
      await server?.server.stop();
      await traced.shutdown();
    }
    assert.equal(new Set(printed).size, 30);
    type Listed = { traceID: string; spans: Array<{ spanID: string; references?: Array<{ spanID: string }>; tags: Tag[] }> };
    let listed: Listed[] = [];
    const search = `http://${jaeger.info.query}/api/traces?service=${serviceName}&limit=200&lookback=1h`;
    await eventually(async () => {
      listed = ((await (await fetch(search)).json()) as { data?: Listed[] }).data ?? [];
      // The call's span and the answering server's at least (a retried call: its later attempts' spans too).
      return listed.length >= 30 && listed.every((t) => t.spans.length >= 2);
    }, '30 traces of 2+ spans in Jaeger', 20_000);
    assert.deepEqual(listed.map((t) => t.traceID).sort(), [...printed].sort(), 'one trace per call, the printed ids');
    // The failed first attempts (the dead node takes every other first attempt) sit inside their calls' traces:
    // events on the call spans, which Jaeger's tag search finds too.
    const failed = await (await fetch(`${search}&tags=${encodeURIComponent('{"error.type":"UNAVAILABLE"}')}`)).json() as { data?: Listed[] };
    assert.ok((failed.data?.length ?? 0) >= 10, `${failed.data?.length} traces with a failed attempt`);
    for (const { traceID } of failed.data ?? []) {
      assert.ok(printed.includes(traceID), `${traceID}: a failed attempt in a trace of its own`);
      const spans = await jaegerTrace(jaeger.info.query, traceID);
      const root = spans.filter((x) => x.parent === undefined);
      assert.equal(root.length, 1);
      assert.equal(root[0]?.kind, 'client', 'the call span is the root');
      assert.equal(root[0]?.tags.error, undefined, 'the call succeeded');
      assert.equal(Number(root[0]?.tags['keel.attempts']), 2);
      const failedAttempt = root[0]?.logs.find((l) => l.event === 'attempt failed');
      assert.equal(failedAttempt?.['error.type'], 'UNAVAILABLE', 'the failed first attempt, an event on the call span');
      assert.equal(Number(failedAttempt?.['previous-rpc-attempts']), 0);
      const retry = spans.find((x) => Number(x.tags['previous-rpc-attempts']) === 1);
      assert.equal(retry?.kind, 'client');
      assert.equal(retry?.parent, root[0]?.id, 'the retry is a child of the call span');
      assert.equal(spans.find((x) => x.kind === 'server')?.parent, retry?.id);
    }
  });

  // Where the resource shows: OTLP makes it the span's Process; the legacy Thrift exporter copies it into
  // every span's tags (its Process has the service name only).
  const modes: Array<[string, (j: JaegerInfo) => NodeJS.ProcessEnv, (s: Span) => Record<string, unknown>]> = [
    ['OTLP (initTracing default)', (j) => ({ OTEL_TRACES_EXPORTER: 'otlp', OTEL_EXPORTER_OTLP_ENDPOINT: `http://${j.otlpHttp}` }), (s) => s.process],
    ['Jaeger Thrift over HTTP (@opentelemetry/exporter-jaeger)', (j) => ({ OTEL_TRACES_EXPORTER: 'jaeger', OTEL_EXPORTER_JAEGER_ENDPOINT: `http://${j.thriftHttp}/api/traces` }),
      (s) => s.tags],
  ];
  for (const [mode, tracingEnv, resourceOf] of modes) {
    it(`holds one trace per call with the client and server spans of every hop — ${mode}`, async () => {
      const dir = mkdtempSync(join(tmpdir(), 'keel-jaeger-'));
      // What an operator sets to tag an environment: every process's resource carries it.
      const env = { ...process.env, MICRO_REGISTRY: 'local', MICRO_REGISTRY_ADDRESS: dir, OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment.name=e2e,team=keel',
        ...tracingEnv(jaeger.info) };
      const basis = fork(join(dist, 'examples', 'basis', 'server.js'), [], { env, stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
      const front = fork(join(dist, 'test', 'fixtures', 'front-server.js'), [], { env, stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
      let calls: Call[];
      let ids: Record<string, string>;
      try {
        const [basisId, frontId] = await Promise.all([waitReady(basis), waitReady(front)]);
        ids = { basis: basisId, front: frontId };
        const { stdout } = await run(process.execPath, [join(dist, 'test', 'fixtures', 'trace-client.js'), 'Ann', 'nobody'], { env, timeout: 30_000 });
        calls = JSON.parse(stdout.trim().split('\n').at(-1) as string) as Call[];
      } finally {
        for (const child of [basis, front]) child.kill('SIGTERM'); // they flush their spans on the way out
        await Promise.all([basis, front].map((c) => (c.exitCode !== null ? undefined : new Promise((r) => c.once('exit', r)))));
        rmSync(dir, { recursive: true, force: true });
      }
      assert.deepEqual(calls.map((c) => [c.target, c.name, c.ok]), [['front', 'Ann', true], ['front', 'nobody', false], ['basis', 'Ann', true], ['basis', 'nobody', true]]);
      assert.equal(new Set(calls.map((c) => c.traceId)).size, 4, 'each call has a trace of its own');

      const expected: Array<[Call, number, string[]]> = [
        [calls[0] as Call, 4, ['trace-client/client', 'front/server', 'front/client', 'basis/server']],
        [calls[1] as Call, 2, ['trace-client/client', 'front/server']],
        [calls[2] as Call, 2, ['trace-client/client', 'basis/server']],
      ];
      for (const [call, count, hops] of expected) {
        let spans: Span[] = [];
        await eventually(async () => (spans = await jaegerTrace(jaeger.info.query, call.traceId)).length >= count,
          `${count} spans of the ${call.target} ${call.name} trace in Jaeger`, 20_000);
        assert.equal(spans.length, count);
        assert.deepEqual(chain(spans), hops, `parent links of the ${call.target} ${call.name} trace`);
        for (const span of spans) {
          assert.equal(span.name, 'basis.Basis/Hello');
          assert.equal(span.tags['rpc.system'], 'grpc');
          assert.equal(Number(span.tags['rpc.grpc.status_code']), call.ok ? 0 : 5, `${span.service}/${span.kind} status`);
          assert.equal(span.tags.error === true || span.tags['otel.status_code'] === 'ERROR', !call.ok, `${span.service}/${span.kind} error mark`);
        }
        const client = spans.find((s) => s.service === 'trace-client');
        assert.equal(client?.tags['server.address'], '127.0.0.1');
        for (const span of spans) {
          const where = `${span.service}/${span.kind} of the ${call.target} ${call.name} trace`;
          const resource = resourceOf(span);
          assert.equal(resource['deployment.environment.name'], 'e2e', `${where}: OTEL_RESOURCE_ATTRIBUTES in its process`);
          assert.equal(resource['team'], 'keel', where);
          assert.equal(typeof resource['host.name'], 'string', where);
          // Jaeger's Thrift receiver drops the telemetry.sdk.* tags (it has its own client fields).
          if (resourceOf(span) === span.process) assert.equal(resource['telemetry.sdk.language'], 'nodejs', where);
          const served = ids[span.service];
          // A server process is its node; the client-only process has an instance id of its own.
          if (served !== undefined) assert.equal(resource['service.instance.id'], served, `${where}: the instance is the node`);
          else assert.match(String(resource['service.instance.id']), /^[0-9a-f-]{36}$/, where);
          if (span.kind === 'server') assert.equal(span.tags['keel.node.id'], served, `${where}: which node served`);
          if (span.kind === 'client' && call.ok) assert.equal(span.tags['keel.node.id'], ids[call.target === 'front' && span.service === 'front' ? 'basis' : call.target], `${where}: the node called`);
          if (!call.ok) {
            assert.equal(span.tags['error.type'], 'NOT_FOUND', where);
            const exception = span.logs.find((l) => l.event === 'exception');
            assert.match(String(exception?.['exception.message']), /no such person/, `${where}: an exception log`);
          } else {
            assert.equal(span.tags['error.type'], undefined, where);
            assert.equal(span.logs.length, 0, where);
          }
        }
      }
    });
  }
});
