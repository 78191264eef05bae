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
    // tracing() is inside retry(): every attempt is a trace (30 answered + the attempts that failed on the
    // killed node and were retried); an attempt answered by a live server holds its server span too.
    const lines = stdout.split('\n');
    const failed = lines.filter((l) => l.includes('retry: attempt')).length;
    const killedAt = lines.findIndex((l) => l.includes('with SIGKILL'));
    // Consul cannot tell that a process died: the node stays listed until its TTL and its circuit ejects it.
    const victim = /the demo kills (basis-\S+) with SIGKILL/.exec(stdout)?.[1];
    assert.match(stdout, new RegExp(`circuit of ${victim} \\(127\\.0\\.0\\.1:\\d+\\): closed → open`));
    const survivorsAnswered = replies.filter((l) => !l.includes(victim as string)).length;
    assert.ok(failed > 0 && !/\d+ failed call\(s\)/.test(stdout.replace('0 failed call(s)', '')), 'no call failed');
    let traces: Array<{ spans: unknown[] }> = [];
    await eventually(async () => {
      const res = await fetch(`http://${jaeger.info.query}/api/traces?service=basis-client&limit=100`);
      traces = ((await res.json()) as { data: Array<{ spans: unknown[] }> }).data;
      return traces.length >= 30 + failed && traces.filter((t) => t.spans.length === 2).length >= survivorsAnswered;
    }, `${30 + failed} client traces, ${survivorsAnswered} of them with the server span`, 20_000);
    assert.ok(killedAt > 0 && victim !== undefined);
  });
});
