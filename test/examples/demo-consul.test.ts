import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { eventually } from '../support/basis';
import { startConsul, type ConsulAgent } from '../support/consul-agent';
import { toolOrSkip } from '../support/external';
import { startInfra, type InfraServer } from '../support/infra';

const consulBinary = toolOrSkip('consul', 'demo on Consul + Jaeger');
const jaegerBinary = toolOrSkip('jaeger', 'demo on Consul + Jaeger');
const skip = consulBinary === undefined || jaegerBinary === undefined ? 'KEEL_SKIP_E2E=1 and consul or jaeger is missing' : false;
const run = promisify(execFile);

describe('MICRO_REGISTRY=consul npm start, with an OTLP endpoint', { skip }, () => {
  let consul: ConsulAgent;
  let jaeger: InfraServer<{ otlpHttp: string; query: string }>;
  before(async () => {
    [consul, jaeger] = await Promise.all([startConsul(consulBinary as string), startInfra<{ otlpHttp: string; query: string }>('jaeger')]);
  });
  after(async () => {
    await Promise.all([consul?.stop(), jaeger?.stop()]);
  });

  it('runs the demo against Consul and shows its traces in Jaeger', async () => {
    const env = {
      ...process.env,
      MICRO_REGISTRY: 'consul',
      MICRO_REGISTRY_ADDRESS: consul.address,
      OTEL_EXPORTER_OTLP_ENDPOINT: `http://${jaeger.info.otlpHttp}`,
    };
    const { stdout } = await run(process.execPath, [join(__dirname, '..', '..', 'examples', 'basis', 'demo.js')], { env, timeout: 60_000 });
    assert.match(stdout, /registry: consul/);
    const replies = stdout.split('\n').filter((l) => /^\[\s*\d+\] Hello John from basis-/.test(l));
    assert.equal(replies.length, 30, stdout);
    assert.ok(new Set(replies.map((l) => /from (\S+)/.exec(l)?.[1])).size >= 2);
    assert.match(stdout, /closed → open/);
    let services: string[] = [];
    await eventually(async () => {
      const res = await fetch(`http://${jaeger.info.query}/api/services`);
      services = ((await res.json()) as { data: string[] | null }).data ?? [];
      return services.includes('basis') && services.includes('basis-client');
    }, 'Jaeger to list the demo services', 20_000);
    // tracing() is inside retry() and the demo opens no span: each call is one trace (the call's CLIENT span,
    // carrying its first attempt, over its later attempts), a failed attempt on the killed node inside the trace
    // of the call it retried; a call answered by a live server holds its server span too (2 spans at least).
    const lines = stdout.split('\n');
    const failed = lines.filter((l) => l.includes('retry: attempt')).length;
    const killedAt = lines.findIndex((l) => l.includes('with SIGKILL'));
    // Consul cannot tell that a process died: the node stays listed until its TTL and its circuit ejects it.
    const victim = /the demo kills (basis-\S+) with SIGKILL/.exec(stdout)?.[1];
    assert.match(stdout, new RegExp(`circuit of ${victim} \\(127\\.0\\.0\\.1:\\d+\\): closed → open`));
    const survivorsAnswered = replies.filter((l) => !l.includes(victim as string)).length;
    assert.ok(failed > 0 && !/\d+ failed call\(s\)/.test(stdout.replace('0 failed call(s)', '')), 'no call failed');
    type Field = { key: string; value: unknown };
    type Listed = { traceID: string; spans: Array<{ references?: unknown[]; tags: Field[]; logs?: Array<{ fields: Field[] }> }> };
    let traces: Listed[] = [];
    await eventually(async () => {
      const res = await fetch(`http://${jaeger.info.query}/api/traces?service=basis-client&limit=100`);
      traces = ((await res.json()) as { data: Listed[] }).data;
      return traces.length >= 30 && traces.filter((t) => t.spans.length >= 2).length >= survivorsAnswered;
    }, `30 client traces, ${survivorsAnswered} of them with the server span`, 20_000);
    assert.equal(traces.length, 30, 'one trace per call');
    const tag = (span: Listed['spans'][number], key: string): unknown => span.tags.find((t) => t.key === key)?.value;
    const isError = (span: Listed['spans'][number]): boolean => tag(span, 'error') === true || tag(span, 'otel.status_code') === 'ERROR';
    // A failed first attempt is an event on its call's span; a failed later attempt, an ERROR span of its own.
    const failedFirsts = traces.flatMap((t) => t.spans.flatMap((s) => (s.logs ?? []).filter((l) => l.fields.some((f) => f.key === 'event' && f.value === 'attempt failed'))));
    const failedLater = traces.flatMap((t) => t.spans.filter((s) => (s.references ?? []).length > 0 && tag(s, 'span.kind') === 'client' && isError(s)));
    assert.equal(failedFirsts.length + failedLater.length, failed, 'each failed attempt is in the trace of the call it retried');
    for (const t of traces) {
      const root = t.spans.filter((s) => (s.references ?? []).length === 0);
      assert.equal(root.length, 1, t.traceID);
      assert.equal(tag(root[0] as Listed['spans'][number], 'span.kind'), 'client', `${t.traceID}: the call span is the root`);
      assert.equal(isError(root[0] as Listed['spans'][number]), false, `${t.traceID}: no call failed`);
    }
    // What the demo prints for each call is its trace.
    const printed = replies.map((l) => /trace ([0-9a-f]{8})…/.exec(l)?.[1]);
    assert.ok(printed.every((p) => p !== undefined && traces.some((t) => t.traceID.startsWith(p))), 'the printed trace ids are the calls\'');
    assert.ok(killedAt > 0 && victim !== undefined);
  });
});
