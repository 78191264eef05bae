import { readFileSync, writeFileSync } from 'node:fs';
import { fixed, int } from './format';
import { findings } from './findings';
import type { Results } from './results';
import { renderSummary } from './summary';

export const START = '<!-- bench:start -->';
export const END = '<!-- bench:end -->';

/** docs/benchmarks.md's section on the latest full run: its summary, targets and chart, with its machine. */
export function readmeSection(results: Results): string {
  const m = results.machine;
  const met = results.targets.filter((t) => t.verdict === 'met').length;
  const judged = results.targets.filter((t) => t.verdict !== 'n/a').length;
  return [
    '## The latest full run',
    '',
    '`npm run bench` starts Hello servers in their own processes and drives them from a separate client process per',
    'configuration, on loopback, interleaving the configurations round by round (A B C … A B C …) so that drift on',
    'a shared machine falls on all of them alike; the median of the rounds is shown. `npm run bench -- --quick` is',
    'the smoke test CI runs (about two minutes); `--only <section|configuration>` runs a part (see [bench/README.md](../bench/README.md)).',
    'Everything is written to `bench/results/`: `latest.md` has every table (concurrency 1/16/64/256, open loop at',
    '50% and 80% of capacity, 3 nodes, a diagnosis of where keel\'s cost goes, the handler side with ghz,',
    `node-selection cost up to ${int(Math.max(...results.plan.scale.sizes))} nodes, memory per node, limiter accuracy, wrapper cost without the network,`,
    'server-stream messages/s through the full stack against raw grpc-js).',
    '',
    `Latest full run: ${m.cores} cores (${m.cpuModel}), Node ${m.node}, ${m.date.slice(0, 10)}, load average ${m.loadStart[0]?.toFixed(2)} at the start`,
    `and ${m.loadEnd[0]?.toFixed(2)} at the end (the machine was shared with other work: read ratios, not absolutes), commit ${m.commit}, wall time ${fixed(results.wallMs / 1000, 0)} s.`,
    '',
    '![closed-loop throughput and latency percentiles per configuration](../bench/results/latest.svg)',
    '',
    renderSummary(results),
    '',
    '- `raw` is a bare `@grpc/grpc-js` client calling by address: the physical limit; every figure is also given',
    '  as a ratio (×) or difference (Δ) to it, measured in the same run. `keel` is `createClient` with no',
    '  wrappers (registry lookup, node pick, deadline, metadata); `full` is',
    '  `wrapClient(roundRobin(), rateLimit(1e6), breaker(), tracing())` with a 100%-sampled BatchSpanProcessor.',
    '  `naive` is the same features written by hand from opossum + bottleneck + `@opentelemetry/api`.',
    '- c=N is a closed loop with N calls in flight; "open" sends at a fixed rate (80% of the raw client\'s',
    '  capacity in this run) and measures latency from each call\'s intended send time, so stalls are not hidden.',
    '- CPU µs/call is the client process\'s CPU time (user + system) per call: what the client costs you.',
    '',
    `Targets (${met} of ${judged} met on this run; the rounds' spread shows how much the shared machine moved them):`,
    '',
    ...results.targets.map((t) => `- ${t.verdict === 'met' ? 'met' : t.verdict === 'missed' ? '**missed**' : 'n/a'} — ${t.target}: ${t.measured}`),
    '',
    'Where the cost goes (same run; details in `bench/results/latest.md`, "Diagnosis", "Wrapper cost without the network" and "Server streaming"):',
    '',
    ...findings(results).map((f) => `- ${f}`),
  ].join('\n');
}

/** Replaces what is between the markers (appending them at the end if missing); nothing else is touched. */
export function updateReadme(path: string, results: Results): void {
  const readme = readFileSync(path, 'utf8');
  const section = `${START}\n${readmeSection(results)}\n${END}`;
  const start = readme.indexOf(START);
  const end = readme.indexOf(END);
  const next = start >= 0 && end > start
    ? readme.slice(0, start) + section + readme.slice(end + END.length)
    : `${readme.replace(/\n*$/, '\n')}\n${section}\n`;
  writeFileSync(path, next);
}
