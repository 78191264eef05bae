import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Row } from '../orchestration/measure';
import { delta, fixed, int, table } from './format';
import type { Results } from './results';

export const NODES_START = '<!-- bench-nodes:start -->';
export const NODES_END = '<!-- bench-nodes:end -->';

/**
 * The newest results file per Node line among bench/results/*-node<line>.json (runs with `--node`), leaving out
 * runs with a client under the profiler (`--profile`).
 */
export function latestPerLine(dir: string): Map<string, { file: string; results: Results }> {
  const out = new Map<string, { file: string; results: Results }>();
  for (const file of readdirSync(dir).filter((f) => /-node\d+\.json$/.test(f)).sort()) {
    const results = JSON.parse(readFileSync(join(dir, file), 'utf8')) as Results;
    // bench/inherit writes inherit-node<line>.json and inherit-chain-node<line>.json too: not runs of this bench.
    if (results.profiled !== undefined || typeof results.machine?.node !== 'string') continue;
    const line = results.machine.node.replace(/^v/, '').split('.')[0] as string;
    const held = out.get(line);
    if (held === undefined || held.results.machine.date < results.machine.date) out.set(line, { file, results });
  }
  return new Map([...out].sort((a, b) => Number(a[0]) - Number(b[0])));
}

const rowsAt = (r: Results, c: number): Row[] | undefined => r.closed.find((x) => x.concurrency === c)?.rows;
const median = (rows: Row[] | undefined, config: string) => rows?.find((x) => x.config === config)?.median;

/**
 * `a / b` throughput round by round (both ran in each round, interleaved, so drift on a shared machine falls
 * on both): the median and range of those ratios, steadier than the ratio of the two medians.
 */
function rounds(rows: Row[] | undefined, a: string, b: string): string {
  const ra = rows?.find((x) => x.config === a)?.rounds ?? [];
  const rb = rows?.find((x) => x.config === b)?.rounds ?? [];
  const n = Math.min(ra.length, rb.length);
  const ratios = Array.from({ length: n }, (_, i) => (ra[i]?.rps ?? NaN) / (rb[i]?.rps ?? NaN)).filter(Number.isFinite).sort((x, y) => x - y);
  if (ratios.length === 0) return '';
  const mid = ratios[Math.floor((ratios.length - 1) / 2)] as number;
  return `; per round median ×${mid.toFixed(2)} (${(ratios[0] as number).toFixed(2)}–${(ratios[ratios.length - 1] as number).toFixed(2)})`;
}

/** c=64 throughput ÷ raw of the full stack sampling 10 %, 1 %, 0 % of calls, and without tracing(), those that ran. */
function sampled(rows: Row[] | undefined, raw: number | undefined): string {
  const labels: Record<string, string> = { 'full-s10': '10 %', 'full-s1': '1 %', 'full-s0': '0 %', 'full-notrace': 'no tracing()' };
  const parts = Object.keys(labels).flatMap((name) => {
    const m = median(rows, name);
    return m && raw ? [`${labels[name]}: ×${(m.rps / raw).toFixed(2)}${rounds(rows, name, 'raw')}`] : [];
  });
  return parts.length ? parts.join(', ') : '–';
}

/** The per-Node-line table: the full stack against raw grpc-js and nice-grpc, each line's newest run. */
export function nodesSection(dir: string): string {
  const lines = latestPerLine(dir);
  const rows = [...lines.values()].map(({ file, results: r }) => {
    const c64 = rowsAt(r, 64);
    const c1 = rowsAt(r, 1);
    const raw64 = median(c64, 'raw');
    const full64 = median(c64, 'full');
    const nice64 = median(c64, 'nice-grpc');
    const raw1 = median(c1, 'raw');
    const full1 = median(c1, 'full');
    const tracing = r.pipeline?.find((p) => p.name === 'tracing')?.cpuNsPerCall;
    const none = r.pipeline?.find((p) => p.name === 'none (OTel SDK started)')?.cpuNsPerCall;
    return [
      `${r.machine.node} (\`${file}\`)`,
      `${r.machine.commit}, ${r.machine.date.slice(0, 16).replace('T', ' ')}`,
      r.machine.loadStart.map((x) => x.toFixed(1)).join('/'),
      raw64 && full64 ? `×${(full64.rps / raw64.rps).toFixed(2)} (${int(full64.rps)} / ${int(raw64.rps)})${rounds(c64, 'full', 'raw')}` : '–',
      raw64 && full64 ? `${fixed(full64.cpuUsPerCall, 1)} / ${fixed(raw64.cpuUsPerCall, 1)} (×${(full64.cpuUsPerCall / raw64.cpuUsPerCall).toFixed(2)})` : '–',
      raw1 && full1 ? `${delta(full1.latencyUs.p50, raw1.latencyUs.p50)} (${int(full1.latencyUs.p50)} / ${int(raw1.latencyUs.p50)})` : '–',
      full64 && nice64 ? `×${(full64.rps / nice64.rps).toFixed(2)} (${int(nice64.rps)} calls/s)${rounds(c64, 'full', 'nice-grpc')}` : '–',
      tracing !== undefined && none !== undefined ? int(tracing - none) : '–',
      sampled(c64, raw64?.rps),
    ];
  });
  return [
    '## Per Node line',
    '',
    '`npm run bench -- --node <line> [--only …]` runs the whole bench (servers and client processes) on a pinned Node',
    'from `scripts/node-runtime`; each line\'s newest such run is summarised here (generated from',
    '`bench/results/*-node<line>.json`). `full` is `wrapClient(roundRobin(), rateLimit(1e6), breaker(), tracing())` with',
    '`initTracing` (the SDK\'s AsyncLocalStorage context manager, 100 % sampling, BatchSpanProcessor, no-op exporter) in',
    'the client process, as an application has it; closed loop, configurations interleaved round by round, median round.',
    'On a shared machine read the per-round ratios and the CPU per call (the client process\'s own) before the medians.',
    '',
    rows.length === 0 ? '(no `--node` runs in bench/results yet)' : table(
      ['Node', 'commit, date (UTC)', 'load avg at start (1/5/15)', 'c=64 full ÷ raw calls/s', 'c=64 CPU µs/call full / raw', 'c=1 p50 µs full Δ raw', 'c=64 full ÷ nice-grpc', 'tracing CPU ns/call, no network', 'c=64 ÷ raw, sampling less, or no tracing()'],
      rows),
  ].join('\n');
}

/** Replaces what is between the per-Node markers (appending them at the end if missing). */
export function updateNodesReadme(path: string, dir: string): void {
  const readme = readFileSync(path, 'utf8');
  const section = `${NODES_START}\n${nodesSection(dir)}\n${NODES_END}`;
  const start = readme.indexOf(NODES_START);
  const end = readme.indexOf(NODES_END);
  const next = start >= 0 && end > start
    ? readme.slice(0, start) + section + readme.slice(end + NODES_END.length)
    : `${readme.replace(/\n*$/, '\n')}\n${section}\n`;
  writeFileSync(path, next);
}
