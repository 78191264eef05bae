import type { ClientProcess } from '../../orchestration/clients';
import type { Fleet } from '../../orchestration/fleet';
import type { Plan, StreamVariant } from '../../orchestration/plan';
import type { Progress } from '../../orchestration/progress';
import type { StreamJob, StreamSegment, Target } from '../../shared/protocol';
import type { ServerHandle } from '../../orchestration/servers';
import { STREAM_CLIENTS, type StreamClientName } from './client';

/** One streaming client's segments for one stream shape, and the median round (by messages/s). */
export interface StreamRow {
  config: StreamClientName;
  rounds: StreamSegment[];
  median?: StreamSegment;
  /** Set when a segment failed outright (the process died, the job timed out). */
  error?: string;
}

export interface StreamComparison {
  variant: StreamVariant;
  rows: StreamRow[];
}

/** Planned seconds, for the progress bar: a guess of 100,000 messages/s (4 KiB: 25,000/s), plus process starts. */
export function streamSeconds(plan: Plan): number {
  const { rounds, variants } = plan.streams;
  const perStream = (v: StreamVariant): number => (v.count + v.warmupCount) / (v.size >= 1024 ? 25_000 : 100_000) + 0.3;
  return 3 + variants.reduce((s, v) => s + rounds * STREAM_CLIENTS.length * perStream(v), 0);
}

function medianOf(rounds: StreamSegment[]): StreamSegment | undefined {
  const sorted = [...rounds].sort((a, b) => a.rate - b.rate);
  return sorted[Math.floor((sorted.length - 1) / 2)];
}

/**
 * Server-streaming throughput: a keel server with `wrapHandler(rateLimit, tracing)`, a bare keel server and a
 * plain grpc-js server, each in its own process, read by a keel client with the full stack, a bare keel
 * client and a plain grpc-js client, each in its own process; one stream per segment, the three
 * interleaved round by round (rotated order). The bare pair tells keel's stream machinery from what the
 * wrappers and the OpenTelemetry SDK add.
 * The server's CPU time is asked for around each segment (it includes the segment's short warm-up stream,
 * so it is divided by all the messages sent).
 */
export async function streamSection(plan: Plan, fleet: Fleet, progress: Progress): Promise<StreamComparison[]> {
  const { rounds, maxMs, variants } = plan.streams;
  progress.step('streams: starting a keel and a grpc-js server', 0);
  const servers = await fleet.addServers([
    { kind: 'keel', wrap: 'rateLimit+tracing', service: 'benchstream', registryDir: fleet.registryDir },
    { kind: 'keel', wrap: 'none', service: 'benchstream-bare', registryDir: fleet.registryDir },
    { kind: 'grpc', wrap: 'none', service: 'benchstream-raw', registryDir: fleet.registryDir },
  ]);
  const [full, bare, grpc] = servers as [ServerHandle, ServerHandle, ServerHandle];
  const serverOf = (name: StreamClientName): ServerHandle => (name === 'stream-full' ? full : name === 'stream-keel' ? bare : grpc);
  const target = (server: ServerHandle): Target => ({ service: server.spec.service, registryDir: fleet.registryDir, addresses: [server.address] });
  const processes = await fleet.clientsFor([...STREAM_CLIENTS]);
  const timeoutMs = maxMs * 2 + 30_000;
  const job = (p: ClientProcess, v: StreamVariant): StreamJob => ({
    kind: 'stream', target: target(serverOf(p.name as StreamClientName)), count: v.count, size: v.size, warmupCount: v.warmupCount, maxMs,
  });
  const out: StreamComparison[] = [];
  try {
    // One unmeasured stream of each shape per process first: the JIT settles before the first measured segment.
    for (const p of processes) {
      progress.step(`streams: priming ${p.name}`, 0.3);
      for (const v of variants) await p.run<StreamSegment>({ ...job(p, v), count: v.warmupCount }, timeoutMs);
    }
    for (const variant of variants) {
      const rows = processes.map((p): StreamRow => ({ config: p.name as StreamClientName, rounds: [] }));
      for (let round = 0; round < rounds; round++) {
        for (let k = 0; k < processes.length; k++) {
          const i = (k + round) % processes.length;
          const p = processes[i] as ClientProcess;
          const row = rows[i] as StreamRow;
          progress.step(`streams ${variant.name} ${p.name} (round ${round + 1}/${rounds})`, (variant.count + variant.warmupCount) / (variant.size >= 1024 ? 25_000 : 100_000) + 0.3);
          if (row.error !== undefined) continue;
          try {
            const server = serverOf(row.config);
            const before = await server.cpuUs();
            const segment = await p.run<StreamSegment>(job(p, variant), timeoutMs);
            const serverUs = (await server.cpuUs()) - before;
            row.rounds.push({ ...segment, serverCpuNsPerMessage: (serverUs * 1000) / (segment.messages + variant.warmupCount) });
          } catch (err) {
            row.error = (err as Error).message.split('\n')[0];
            progress.note(`! streams ${variant.name} ${p.name}: ${row.error}`);
          }
        }
      }
      for (const row of rows) {
        const median = medianOf(row.rounds);
        if (median !== undefined) row.median = median;
      }
      out.push({ variant, rows });
    }
  } finally {
    await fleet.removeServers(servers);
  }
  return out;
}
