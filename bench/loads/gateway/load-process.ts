// The gateway benchmark's load: `fork('load-process.js', [JSON GatewayLoadJob])`. Calls Basis.Hello in closed
// loops, directly with a keel client (the gateway's own wrapper stack) and through the gateway over HTTP/1.1
// keep-alive, interleaved round by round; sends the rounds over IPC and exits.
import { Agent, request } from 'node:http';
import { performance } from 'node:perf_hooks';
import { breaker, createClient, localRegistry, retry, roundRobin, tracing, wrapClient } from '../../../src/index';
import { Basis } from '../../../examples/basis/proto';
import { latencyHistogram, percentiles, recordMs } from '../../shared/histogram';
import type { GatewayLoadJob, GatewaySegment } from './section';

type Call = () => Promise<void>;

/** Runs `call` in `concurrency` loops: warmupMs unmeasured, then calls started within durationMs (at most maxCalls). */
async function closedLoop(call: Call, job: GatewayLoadJob, concurrency: number): Promise<GatewaySegment> {
  const histogram = latencyHistogram();
  let calls = 0;
  let errors = 0;
  const t0 = performance.now() + job.warmupMs;
  const end = t0 + job.durationMs;
  let last = t0;
  const loop = async (): Promise<void> => {
    for (;;) {
      const start = performance.now();
      if (start >= end || calls >= job.maxCalls) return;
      let failed = false;
      try {
        await call();
      } catch {
        failed = true;
      }
      const done = performance.now();
      if (start < t0) continue;
      calls++;
      if (failed) errors++;
      recordMs(histogram, done - start);
      if (done > last) last = done;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, loop));
  const p = percentiles(histogram);
  return { rps: (calls * 1000) / Math.max(1, last - t0), calls, errors, p50Us: p.p50, p99Us: p.p99 };
}

async function main(): Promise<void> {
  const job = JSON.parse(process.argv[2] ?? '{}') as GatewayLoadJob;
  const registry = localRegistry({ dir: job.registryDir });
  const client = createClient(Basis, job.service, { registry, wrap: wrapClient(retry(), roundRobin(), breaker({ scope: 'node' }), tracing()) });
  const [host, port] = [job.gatewayAddress.slice(0, job.gatewayAddress.lastIndexOf(':')), Number(job.gatewayAddress.slice(job.gatewayAddress.lastIndexOf(':') + 1))];
  const body = JSON.stringify({ name: 'bench' });
  const direct: Call = async () => {
    await client.hello({ name: 'bench' });
  };
  const viaGateway = (agent: Agent): Call => () => new Promise((resolve, reject) => {
    const req = request({ host, port, agent, method: 'POST', path: `/${job.service}/Basis/Hello`, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
      res.resume();
      res.on('end', () => (res.statusCode === 200 ? resolve() : reject(new Error(`HTTP ${res.statusCode}`))));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
  const out: Array<{ concurrency: number; direct: GatewaySegment[]; gateway: GatewaySegment[] }> = [];
  for (const concurrency of job.concurrencies) {
    const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
    const row = { concurrency, direct: [] as GatewaySegment[], gateway: [] as GatewaySegment[] };
    // Unmeasured first: connections, the gateway's reflection lookup and the JIT settle.
    await closedLoop(direct, { ...job, warmupMs: 0, durationMs: job.warmupMs }, concurrency);
    await closedLoop(viaGateway(agent), { ...job, warmupMs: 0, durationMs: job.warmupMs }, concurrency);
    for (let round = 0; round < job.rounds; round++) {
      // Alternate which goes first, so neither always runs on a warmer machine.
      const order = round % 2 === 0 ? ['direct', 'gateway'] as const : ['gateway', 'direct'] as const;
      for (const mode of order) row[mode].push(await closedLoop(mode === 'direct' ? direct : viaGateway(agent), job, concurrency));
    }
    agent.destroy();
    out.push(row);
  }
  client.close();
  await registry.close();
  process.send?.(out, () => process.exit(0));
}

main().catch((err: Error) => {
  console.error(`bench gateway load failed: ${err.message}`);
  process.exit(1);
});
