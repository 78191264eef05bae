// Paired comparison of response streams, each side apart: `node dist/bench/paired/streams.js [rounds]`
// (another Node line: `$(scripts/node-runtime 24) dist/bench/paired/streams.js`). Prints two markdown tables.
//
// Why: the streams section pairs each client process with its own server (raw with raw, bare keel with bare
// keel, full with full), so a server's cost and its client's are mixed, and each process is one draw of how the
// machine treats it (4 KiB streams in particular: see bench/notes/tracing21-floor.md section 8). Here:
// - servers: one plain grpc-js client, in this process, reads every server in turn; what differs is the server
//   alone (keel's pump: an async generator pulled one message at a time, written within its write window; a
//   grpc-js handler writing until `write()` says full);
// - clients: the plain grpc-js client, a bare keel client and one with the full stack, all in this process
//   (with the OpenTelemetry SDK, as an app that traces has it), read the plain grpc-js server in turn.
// Round by round in rotated order; each round's figures are divided by that round's plain grpc-js pair's.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { initTracing, localRegistry } from '../../src/index';
import { keelClient, rawClient, type StreamClient } from '../loads/streams/client';
import { noopExporter } from '../stacks/noop-exporter';
import { machine } from '../orchestration/machine';
import { startServers, type ServerHandle } from '../orchestration/servers';
import type { HandlerWrap } from '../shared/protocol';
import { showSpread, spreadOf } from '../shared/spread';

interface ServerRow {
  name: string;
  label: string;
  kind: 'grpc' | 'keel';
  wrap: HandlerWrap;
}

/** The plain grpc-js server first: the base of every ratio. */
const SERVERS: readonly ServerRow[] = [
  { name: 'grpc', label: 'plain grpc-js server (write until `drain`)', kind: 'grpc', wrap: 'none' },
  { name: 'keel', label: 'keel server, no handler wrappers (async generator)', kind: 'keel', wrap: 'none' },
  { name: 'keel-traced', label: 'keel server, `wrapHandler(rateLimit, tracing())`, 100 % sampled', kind: 'keel', wrap: 'rateLimit+tracing' },
];
const SHAPES = [
  { name: '16 B', size: 16, count: 100_000 },
  { name: '4 KiB', size: 4096, count: 20_000 },
];
const MAX_MS = 15_000;

/** The clients compared on the plain grpc-js server, the plain grpc-js client first. */
const CLIENTS = ['grpc-js client (`data` events)', 'keel client, no wrappers (`for await`)', 'keel client, `roundRobin, rateLimit, breaker, tracing()`'];

interface Phase {
  rate: number;
  clientNsPerMessage: number;
  serverNsPerMessage: number;
}

async function main(): Promise<void> {
  const rounds = Number(process.argv[2] ?? 12);
  if (!Number.isInteger(rounds) || rounds < 1 || rounds > 99) throw new RangeError(`rounds: an integer from 1 to 99, got ${process.argv[2]}`);
  const registryDir = mkdtempSync(join(tmpdir(), 'keel-paired-streams-'));
  const run = machine();
  const servers = await startServers(SERVERS.map((s, i) => ({ kind: s.kind, wrap: s.wrap, service: `paired-stream-${i}`, registryDir })));
  const grpc = servers[0] as ServerHandle;
  // The keel clients find the plain grpc-js server by name, as keel finds any node.
  const registry = localRegistry({ dir: registryDir });
  await registry.register({ id: 'paired-grpc-1', name: 'paired-grpc', version: '', address: grpc.address, metadata: {} }, { ttlMs: 3_600_000 });
  initTracing({ serviceName: 'paired-streams', exporter: noopExporter });
  const target = { service: 'paired-grpc', registryDir, addresses: [grpc.address] };
  // Pairs of (client, server): first every server under the plain client, then every client on the plain server.
  const pairs: Array<{ key: string; client: StreamClient; server: ServerHandle }> = [
    ...servers.map((server, i) => ({ key: `server ${(SERVERS[i] as ServerRow).name}`, client: rawClient(server.address), server })),
    { key: 'client 1', client: keelClient({ target }, false), server: grpc },
    { key: 'client 2', client: keelClient({ target }, true), server: grpc },
  ];
  const seen = new Map<string, Phase[]>();
  try {
    for (const shape of SHAPES) {
      for (const p of pairs) await phase(p.client, p.server, shape.size, shape.count / 5); // prime
      for (let round = 0; round < rounds; round++) {
        for (let k = 0; k < pairs.length; k++) {
          const p = pairs[(k + round) % pairs.length] as (typeof pairs)[number];
          const key = `${shape.name} ${p.key}`;
          const phases = seen.get(key) ?? [];
          phases.push(await phase(p.client, p.server, shape.size, shape.count));
          seen.set(key, phases);
        }
        process.stderr.write(`${shape.name}: round ${round + 1}/${rounds}\n`);
      }
    }
  } finally {
    for (const p of pairs) p.client.close();
    await registry.close();
    await Promise.all(servers.map((s) => s.stop()));
    rmSync(registryDir, { recursive: true, force: true });
  }

  console.log(`Paired streams (bench/paired/streams.ts): Node ${run.node}, commit ${run.commit}, ${run.date}; load average at start ${run.loadStart.map((x) => x.toFixed(2)).join(' / ')}.`);
  console.log(`One stream per phase, read to its end; every server in its own process, every client in this one (with the OpenTelemetry SDK's context manager and a no-op exporter). ${rounds} rounds in rotated order; ratios are per round, to that round's plain grpc-js pair, then the median (range).\n`);
  const table = (title: string, side: 'server' | 'client', names: string[], labels: string[]): void => {
    console.log(`${title}\n`);
    console.log(`| messages | ${side} | messages/s | × grpc-js | ${side} CPU ns/msg | × grpc-js |`);
    console.log('| --- | --- | ---: | ---: | ---: | ---: |');
    for (const shape of SHAPES) {
      const base = seen.get(`${shape.name} ${names[0]}`) as Phase[];
      names.forEach((name, n) => {
        const rows = seen.get(`${shape.name} ${name}`) as Phase[];
        const cpuOf = (p: Phase): number => (side === 'server' ? p.serverNsPerMessage : p.clientNsPerMessage);
        const rate = spreadOf(rows.map((p) => p.rate));
        const rateRatio = spreadOf(rows.map((p, i) => p.rate / (base[i] as Phase).rate));
        const cpu = spreadOf(rows.map(cpuOf));
        const cpuRatio = spreadOf(rows.map((p, i) => cpuOf(p) / cpuOf(base[i] as Phase)));
        console.log(`| ${shape.name} × ${shape.count.toLocaleString('en-US')} | ${labels[n]} | ${showSpread(rate, 0)} | ×${showSpread(rateRatio, 3)} | ${showSpread(cpu, 0)} | ×${showSpread(cpuRatio, 3)} |`);
      });
    }
    console.log('');
  };
  table('**Servers**, read by the plain grpc-js client:', 'server', SERVERS.map((s) => `server ${s.name}`), SERVERS.map((s) => s.label));
  table('**Clients**, reading the plain grpc-js server:', 'client', ['server grpc', 'client 1', 'client 2'], CLIENTS);
}

/** One stream read to its end: messages/s over the whole call, this process's and the server's CPU per message. */
async function phase(client: StreamClient, server: ServerHandle, size: number, count: number): Promise<Phase> {
  const server0 = await server.cpuUs();
  const client0 = process.cpuUsage();
  const t0 = performance.now();
  const read = await client.read({ count, size }, MAX_MS);
  const elapsedMs = performance.now() - t0;
  const client1 = process.cpuUsage(client0);
  const server1 = await server.cpuUs();
  if (!read.complete || read.messages !== count) throw new Error(`${server.spec.kind}/${server.spec.wrap}: read ${read.messages} of ${count} messages (${read.error ?? 'cut by the time bound'})`);
  return {
    rate: (count * 1000) / elapsedMs,
    clientNsPerMessage: ((client1.user + client1.system) * 1000) / count,
    serverNsPerMessage: ((server1 - server0) * 1000) / count,
  };
}

main().then(() => process.exit(0), (err: Error) => {
  console.error(`paired bench failed: ${err.stack ?? err.message}`);
  process.exit(1);
});
