import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '../../shared/root';


export interface GhzResult {
  /** Successful calls per second. */
  rps: number;
  /** Successful calls. */
  count: number;
  /** Failed calls, not counting those ghz cut off when its time ran out. */
  errors: number;
  /** µs; ghz reports 10/25/50/75/90/95/99 percentiles, not 99.9. */
  p50: number;
  p90: number;
  p99: number;
  average: number;
  /** The server process's CPU time per successful call, µs (set by the caller, which can see the server). */
  serverCpuUsPerCall?: number;
}

/** Where ghz is: `scripts/infra which ghz`, else `.tools/bin/ghz`; undefined when neither has it. */
export async function findGhz(): Promise<string | undefined> {
  const viaInfra = await new Promise<string | undefined>((resolve) => {
    execFile(join(ROOT, 'scripts', 'infra'), ['which', 'ghz'], { timeout: 10_000 }, (err, stdout) => {
      const path = stdout.trim().split('\n').pop()?.trim();
      resolve(err === null && path && existsSync(path) ? path : undefined);
    });
  });
  if (viaInfra !== undefined) return viaInfra;
  const local = join(ROOT, '.tools', 'bin', 'ghz');
  return existsSync(local) ? local : undefined;
}

/**
 * One ghz run against `address`: Hello at a fixed concurrency for `durationMs` (ghz's -z bounds it; the
 * process is killed 15 s past that). ghz gets one core (`--cpus 1`), so the server has the other.
 */
export function runGhz(bin: string, address: string, concurrency: number, durationMs: number): Promise<GhzResult> {
  const args = ['--insecure', '--proto', join(ROOT, 'examples', 'basis', 'basis.proto'), '--call', 'basis.Basis/Hello',
    '-d', '{"name":"bench"}', '-c', String(concurrency), '--connections', '1', '--cpus', '1', '-z', `${durationMs}ms`,
    '-O', 'json', address];
  return new Promise((resolve, reject) => {
    execFile(bin, args, { timeout: durationMs + 15_000, maxBuffer: 64 << 20 }, (err, stdout) => {
      if (err !== null && stdout.trim() === '') return reject(new Error(`ghz failed: ${err.message}`));
      try {
        resolve(parse(stdout));
      } catch (parseErr) {
        reject(new Error(`ghz output unreadable: ${(parseErr as Error).message}`));
      }
    });
  });
}

interface GhzJson {
  count: number;
  /** ns */
  total: number;
  rps: number;
  average: number;
  errorDistribution?: Record<string, number>;
  statusCodeDistribution?: Record<string, number>;
  latencyDistribution?: Array<{ percentage: number; latency: number }> | null;
}

function parse(stdout: string): GhzResult {
  const json = JSON.parse(stdout) as GhzJson;
  const at = (p: number): number => (json.latencyDistribution?.find((d) => d.percentage === p)?.latency ?? NaN) / 1000;
  const ok = json.statusCodeDistribution?.OK ?? 0;
  // ghz ends a -z run by closing its connection under the calls still in flight: those are not errors.
  const cut = Object.entries(json.errorDistribution ?? {})
    .filter(([message]) => /closed network connection|context canceled|transport is closing/.test(message))
    .reduce((sum, [, n]) => sum + n, 0);
  return { rps: ok / (json.total / 1e9), count: ok, errors: json.count - ok - cut, p50: at(50), p90: at(90), p99: at(99), average: json.average / 1000 };
}
