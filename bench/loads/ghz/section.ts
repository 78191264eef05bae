import { runGhz, findGhz } from './ghz';
import type { Plan } from '../../orchestration/plan';
import type { Progress } from '../../orchestration/progress';
import type { GhzRow, GhzSection } from '../../report/results';
import type { Fleet } from '../../orchestration/fleet';
import type { ServerHandle } from '../../orchestration/servers';

/** The servers ghz drives, each in its own process. */
const GHZ_SERVERS = [
  { server: 'grpc-js', spec: { kind: 'grpc', wrap: 'none' } },
  { server: 'keel', spec: { kind: 'keel', wrap: 'none' } },
  { server: 'keel + rateLimit(1e6)', spec: { kind: 'keel', wrap: 'rateLimit' } },
  { server: 'keel + tracing()', spec: { kind: 'keel', wrap: 'tracing' } },
  { server: 'keel + rateLimit(1e6), tracing()', spec: { kind: 'keel', wrap: 'rateLimit+tracing' } },
] as const;

/**
 * Handler side: ghz against a plain grpc-js server, a keel server, and a keel server with handler
 * wrappers, interleaved round by round. Without ghz the section is skipped, loudly.
 */
export async function ghzSection(plan: Plan, fleet: Fleet, progress: Progress): Promise<GhzSection> {
  const bin = await findGhz();
  if (bin === undefined) {
    const note = 'GHZ NOT FOUND: the handler-side section was SKIPPED. Install it with `scripts/infra install ghz` (builds .tools/bin/ghz).';
    progress.note(`!!! ${note}`);
    return { available: false, note, rows: [] };
  }
  progress.step('starting the handler-side servers', 0);
  const started = await fleet.addServers(GHZ_SERVERS.map(({ spec }, i) => ({ ...spec, service: `ghz${i}`, registryDir: fleet.registryDir })));
  const rows: GhzRow[] = [];
  for (const concurrency of plan.ghz.concurrencies) {
    const group = GHZ_SERVERS.map(({ server }): GhzRow => ({ server, concurrency, rounds: [] }));
    for (let round = 0; round < plan.ghz.rounds; round++) {
      for (let k = 0; k < group.length; k++) {
        const i = (k + round) % group.length;
        const row = group[i] as GhzRow;
        progress.step(`ghz c=${concurrency} → ${row.server} (round ${round + 1}/${plan.ghz.rounds})`, plan.ghz.durationMs / 1000 + 0.3);
        if (row.error !== undefined) continue;
        try {
          const server = started[i] as ServerHandle;
          const cpu0 = await server.cpuUs();
          const result = await runGhz(bin, server.address, concurrency, plan.ghz.durationMs);
          result.serverCpuUsPerCall = result.count > 0 ? ((await server.cpuUs()) - cpu0) / result.count : NaN;
          row.rounds.push(result);
        } catch (err) {
          row.error = (err as Error).message;
          progress.note(`! ghz ${row.server}: ${row.error}`);
        }
      }
    }
    for (const row of group) {
      const sorted = [...row.rounds].sort((a, b) => a.rps - b.rps);
      const median = sorted[Math.floor((sorted.length - 1) / 2)];
      if (median !== undefined) row.median = median;
    }
    rows.push(...group);
  }
  await fleet.removeServers(started);
  return { available: true, bin, rows };
}

