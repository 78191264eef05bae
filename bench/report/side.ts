import type { Row } from '../orchestration/measure';
import { fixed, table } from './format';
import type { Results } from './results';
import { perRoundRatios } from './streams';

/** Median and min–max of a list: `0.93 (0.90–0.97)`. */
export function medianSpread(xs: number[], digits = 2, sign = false): string {
  const sorted = xs.filter(Number.isFinite).sort((a, b) => a - b);
  if (sorted.length === 0) return '–';
  const f = (x: number): string => `${sign && x >= 0 ? '+' : ''}${x.toFixed(digits)}`;
  const mid = sorted.length % 2 === 1 ? (sorted[(sorted.length - 1) / 2] as number)
    : ((sorted[sorted.length / 2 - 1] as number) + (sorted[sorted.length / 2] as number)) / 2;
  return sorted.length === 1 ? f(mid) : `${f(mid)} (${f(sorted[0] as number)}–${f(sorted[sorted.length - 1] as number)})`;
}

/** Round by round (the configurations ran interleaved in each round): `pick(config round) op pick(base round)`. */
function perRound(rows: Row[] | undefined, config: string, of: (a: number, b: number) => number, pick: (s: Row['rounds'][number]) => number,
  base = 'raw'): number[] {
  const mine = rows?.find((r) => r.config === config)?.rounds ?? [];
  const raw = rows?.find((r) => r.config === base)?.rounds ?? [];
  return Array.from({ length: Math.min(mine.length, raw.length) }, (_, i) => of(pick(mine[i]!), pick(raw[i]!)));
}

/**
 * Issue 21's side-by-side table: per configuration, calls/s at C=64 over raw's and the c=1 p50 over raw's,
 * both round by round (median and range), and the client CPU per call at C=64 (median and range of the rounds).
 */
export function sideReport(results: Results): string[] {
  const side = results.side ?? [];
  const at = (c: number): Row[] | undefined => side.find((s) => s.concurrency === c)?.rows;
  const c64 = at(64);
  const c1 = at(1);
  const configs = (c64 ?? c1 ?? []).map((r) => r.config);
  const out = ['## Side by side (issue 21)', '',
    `Every client process with the OpenTelemetry SDK's AsyncLocalStorage context manager active (traced ones through \`initTracing\`: BatchSpanProcessor, no-op exporter); one keel server without handler wrappers in its own process. Closed loop, ${results.plan.side.rounds} interleaved rounds (rotated order) of ${results.plan.side.durationMs} ms after ${results.plan.warmupMs} ms warm-up; each figure is the median of the per-round values, with their range.`, '',
    table(['configuration', 'C=64 calls/s × raw', 'c=1 p50 Δ raw µs', 'C=64 client CPU µs/call', 'c=1 client CPU µs/call', 'C=64 calls/s × nice-grpc-full'], configs.map((config) => [
      config,
      medianSpread(perRound(c64, config, (a, b) => a / b, (s) => s.rps)),
      config === 'raw' ? medianSpread((c1?.find((r) => r.config === 'raw')?.rounds ?? []).map((s) => s.latencyUs.p50), 0) + ' (raw p50)'
        : medianSpread(perRound(c1, config, (a, b) => a - b, (s) => s.latencyUs.p50), 0, true),
      medianSpread((c64?.find((r) => r.config === config)?.rounds ?? []).map((s) => s.cpuUsPerCall), 1),
      medianSpread((c1?.find((r) => r.config === config)?.rounds ?? []).map((s) => s.cpuUsPerCall), 1),
      configs.includes('nice-grpc-full') ? medianSpread(perRound(c64, config, (a, b) => a / b, (s) => s.rps, 'nice-grpc-full')) : '–',
    ])), ''];
  if (results.streams) {
    out.push('Server streams, keel client `full` against a keel server `wrapHandler(rateLimit, tracing)` (both traced, 100 %) over a plain grpc-js client and server, messages/s round by round:', '',
      table(['stream', 'full × raw', 'client CPU ns/msg full / raw', 'server CPU ns/msg full / raw'], results.streams.map((c) => {
        const m = (n: string) => c.rows.find((r) => r.config === n)?.median;
        return [c.variant.name, medianSpread(perRoundRatios(c)), `${fixed(m('stream-full')?.cpuNsPerMessage, 0)} / ${fixed(m('stream-raw')?.cpuNsPerMessage, 0)}`,
          `${fixed(m('stream-full')?.serverCpuNsPerMessage, 0)} / ${fixed(m('stream-raw')?.serverCpuNsPerMessage, 0)}`];
      })), '');
  }
  if (results.ghz?.available) {
    const rows = results.ghz.rows;
    out.push('Handler side, ghz (one core, one connection) against each server, round by round over the plain grpc-js server:', '',
      table(['server', 'concurrency', 'calls/s × grpc-js', 'server CPU µs/call', 'grpc-js server CPU µs/call'], rows.filter((r) => r.server !== 'grpc-js').map((r) => {
        const base = rows.find((b) => b.server === 'grpc-js' && b.concurrency === r.concurrency);
        const n = Math.min(r.rounds.length, base?.rounds.length ?? 0);
        const ratios = Array.from({ length: n }, (_, i) => r.rounds[i]!.rps / base!.rounds[i]!.rps);
        return [r.server, String(r.concurrency), medianSpread(ratios), medianSpread(r.rounds.map((x) => x.serverCpuUsPerCall ?? NaN), 1),
          medianSpread((base?.rounds ?? []).map((x) => x.serverCpuUsPerCall ?? NaN), 1)];
      })), '');
  }
  return out;
}
