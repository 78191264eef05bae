import assert from 'node:assert/strict';
import { execFile, fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { eventually } from '../support/basis';
import { toolOrSkip } from '../support/external';
import { startInfra, type InfraServer } from '../support/infra';

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
interface Span {
  id: string;
  parent: string | undefined;
  service: string;
  kind: string;
  name: string;
  tags: Record<string, unknown>;
}

/** One trace from Jaeger's query API, flattened. */
async function trace(query: string, traceId: string): Promise<Span[]> {
  const res = await fetch(`http://${query}/api/traces/${traceId}`);
  if (!res.ok) return [];
  const body = (await res.json()) as {
    data?: Array<{ spans: Array<{ spanID: string; operationName: string; processID: string; references?: Array<{ refType: string; spanID: string }>; tags: Array<{ key: string; value: unknown }> }>; processes: Record<string, { serviceName: string }> }>;
  };
  const t = body.data?.[0];
  if (!t) return [];
  return t.spans.map((s) => {
    const tags = Object.fromEntries(s.tags.map((x) => [x.key, x.value]));
    return {
      id: s.spanID,
      parent: s.references?.find((r) => r.refType === 'CHILD_OF')?.spanID,
      service: t.processes[s.processID]?.serviceName ?? '?',
      kind: String(tags['span.kind']),
      name: s.operationName,
      tags,
    };
  });
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

async function waitReady(child: ChildProcess): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    child.once('message', () => resolve());
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

  const modes: Array<[string, (j: JaegerInfo) => NodeJS.ProcessEnv]> = [
    ['OTLP (initTracing default)', (j) => ({ OTEL_TRACES_EXPORTER: 'otlp', OTEL_EXPORTER_OTLP_ENDPOINT: `http://${j.otlpHttp}` })],
    ['Jaeger Thrift over HTTP (@opentelemetry/exporter-jaeger)', (j) => ({ OTEL_TRACES_EXPORTER: 'jaeger', OTEL_EXPORTER_JAEGER_ENDPOINT: `http://${j.thriftHttp}/api/traces` })],
  ];
  for (const [mode, tracingEnv] of modes) {
    it(`holds one trace per call with the client and server spans of every hop — ${mode}`, async () => {
      const dir = mkdtempSync(join(tmpdir(), 'keel-jaeger-'));
      const env = { ...process.env, MICRO_REGISTRY: 'local', MICRO_REGISTRY_ADDRESS: dir, ...tracingEnv(jaeger.info) };
      const basis = fork(join(dist, 'examples', 'basis', 'server.js'), [], { env, stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
      const front = fork(join(dist, 'test', 'fixtures', 'front-server.js'), [], { env, stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
      let calls: Call[];
      try {
        await Promise.all([waitReady(basis), waitReady(front)]);
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
        await eventually(async () => (spans = await trace(jaeger.info.query, call.traceId)).length >= count,
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
      }
    });
  }
});
