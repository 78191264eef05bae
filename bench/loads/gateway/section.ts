import type { Fleet } from '../../orchestration/fleet';
import type { Plan } from '../../orchestration/plan';
import { forkBench, stopChild } from '../../orchestration/processes';
import type { Progress } from '../../orchestration/progress';

/** What the load process is asked to do. */
export interface GatewayLoadJob {
  registryDir: string;
  service: string;
  gatewayAddress: string;
  concurrencies: number[];
  rounds: number;
  warmupMs: number;
  durationMs: number;
  /** Calls per segment at most, besides the time bound. */
  maxCalls: number;
}

/** One measured closed-loop segment. */
export interface GatewaySegment {
  rps: number;
  calls: number;
  errors: number;
  p50Us: number;
  p99Us: number;
}

/** At one concurrency: the median round (by requests/s) of each, and what the gateway adds. */
export interface GatewayRow {
  concurrency: number;
  direct: GatewaySegment;
  gateway: GatewaySegment;
  /** gateway rps / direct rps. */
  throughputRatio: number;
  addedP50Us: number;
  addedP99Us: number;
  errors: number;
}

export interface GatewayResult {
  rows: GatewayRow[];
  error?: string;
}

/** Planned seconds, for the progress bar. */
export function gatewaySeconds(plan: Plan): number {
  const { concurrencies, rounds, warmupMs, durationMs } = plan.gateway;
  return 2 + concurrencies.length * (2 * (warmupMs * 2 + durationMs) * rounds + 4 * warmupMs) / 1000;
}

const median = (xs: GatewaySegment[]): GatewaySegment => [...xs].sort((a, b) => a.rps - b.rps)[Math.floor((xs.length - 1) / 2)]!;

/**
 * The API gateway under load: a keel Hello server, the gateway (`createGateway`, reflection, its default
 * wrapper stack) and the load each in their own process (loopback only). The load calls Hello directly
 * with a keel client (the same wrapper stack) and through the gateway (`POST /<service>/Basis/Hello`,
 * HTTP/1.1 keep-alive, one connection per loop), interleaved, closed loop; requests/s and the latency the
 * gateway adds (p50, p99) at each concurrency.
 */
export async function gatewaySection(plan: Plan, fleet: Fleet, progress: Progress): Promise<GatewayResult> {
  const g = plan.gateway;
  progress.step('gateway: starting a Hello server, the gateway and the load', 0);
  const servers = await fleet.addServers([{ kind: 'keel', wrap: 'none', service: 'benchgw', registryDir: fleet.registryDir }]);
  let gatewayChild: Awaited<ReturnType<typeof forkBench>>['child'] | undefined;
  try {
    const started = await forkBench<{ address: string }>('../loads/gateway/gateway-process.js', [JSON.stringify({ registryDir: fleet.registryDir })], [], 30_000);
    gatewayChild = started.child;
    const job: GatewayLoadJob = {
      registryDir: fleet.registryDir, service: 'benchgw', gatewayAddress: started.first.address, concurrencies: g.concurrencies,
      rounds: g.rounds, warmupMs: g.warmupMs, durationMs: g.durationMs, maxCalls: Math.ceil((g.durationMs / 1000) * 50_000),
    };
    progress.step(`gateway: c=${g.concurrencies.join(',')}, ${g.rounds} round(s)`, gatewaySeconds(plan) - 2);
    const load = await forkBench<Array<{ concurrency: number; direct: GatewaySegment[]; gateway: GatewaySegment[] }>>(
      '../loads/gateway/load-process.js', [JSON.stringify(job)], [], 60_000 + gatewaySeconds(plan) * 3000);
    await stopChild(load.child);
    return {
      rows: load.first.map(({ concurrency, direct, gateway }) => {
        const d = median(direct);
        const v = median(gateway);
        return { concurrency, direct: d, gateway: v, throughputRatio: v.rps / d.rps, addedP50Us: v.p50Us - d.p50Us, addedP99Us: v.p99Us - d.p99Us,
          errors: [...direct, ...gateway].reduce((s, x) => s + x.errors, 0) };
      }),
    };
  } catch (err) {
    const error = (err as Error).message.split('\n')[0] ?? 'failed';
    progress.note(`! gateway: ${error}`);
    return { rows: [], error };
  } finally {
    if (gatewayChild !== undefined) await stopChild(gatewayChild);
    await fleet.removeServers(servers);
  }
}

/** The report's lines. */
export function gatewayReport(result: GatewayResult): string[] {
  const out = ['## API gateway (`keel api`)', '',
    'Basis.Hello through the gateway (`POST /benchgw/Basis/Hello`, HTTP/1.1 keep-alive, reflection, the default stack) against the same',
    'call made directly by a keel client with the same wrappers; closed loop, server, gateway and load each in their own process; median round.', ''];
  if (result.error !== undefined) return [...out, `Failed: ${result.error}`];
  out.push('| concurrency | direct req/s | gateway req/s | gateway / direct | direct p50 / p99 (ms) | gateway p50 / p99 (ms) | added p50 / p99 (ms) | errors |',
    '|---:|---:|---:|---:|---:|---:|---:|---:|');
  const ms = (us: number): string => (us / 1000).toFixed(2);
  for (const r of result.rows) {
    out.push(`| ${r.concurrency} | ${Math.round(r.direct.rps)} | ${Math.round(r.gateway.rps)} | ${(r.throughputRatio * 100).toFixed(0)}% | ${ms(r.direct.p50Us)} / ${ms(r.direct.p99Us)} | ${ms(r.gateway.p50Us)} / ${ms(r.gateway.p99Us)} | ${ms(r.addedP50Us)} / ${ms(r.addedP99Us)} | ${r.errors} |`);
  }
  return out;
}
