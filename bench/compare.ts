// `node dist/bench/compare.js --before a.json[,b.json…] --after c.json[,d.json…] [--title <text>] [--notes <file.md>] [--readme]`
// Puts runs of two builds side by side (e.g. the commit before a change and after it, run alternately:
// before, after, before, after…): the no-network wrapper cost per stack and the closed-loop comparison,
// each figure as the median over runs with its min–max. Writes bench/results/before-after.{md,json} and
// docs/benchmarks.md's before/after block (between its own markers; the latest-run section is not touched).
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fixed, int, table } from './report/format';
import { ROOT } from './shared/root';
import { showSpread as show, spreadOf, type Spread } from './shared/spread';
import type { Results } from './report/results';

export const AB_START = '<!-- bench-ab:start -->';
export const AB_END = '<!-- bench-ab:end -->';

/** `+12%`, and whether the two ranges do not even overlap (then the change is beyond this noise). */
function change(before: Spread | undefined, after: Spread | undefined, higherIsWorse: boolean): string {
  if (before === undefined || after === undefined || before.median === 0) return '–';
  const pct = ((after.median - before.median) / before.median) * 100;
  // With one run a side there is no range to speak of: no verdict.
  const judged = before.n > 1 && after.n > 1;
  const worse = judged && (higherIsWorse ? after.min > before.max : after.max < before.min);
  const better = judged && (higherIsWorse ? after.max < before.min : after.min > before.max);
  const verdict = worse ? ' **worse**' : better ? ' better' : '';
  return `${pct >= 0 ? '+' : ''}${pct.toFixed(0)}%${verdict}`;
}

const load = (files: string[]): Results[] => files.map((f) => JSON.parse(readFileSync(f, 'utf8')) as Results);
const commits = (runs: Results[]): string => [...new Set(runs.map((r) => r.machine.commit))].join(', ');

function pipelineTable(before: Results[], after: Results[], h: string): string[] {
  const names = [...new Set([...before, ...after].flatMap((r) => (r.pipeline ?? []).map((p) => p.name)))];
  if (names.length === 0) return [];
  const of = (runs: Results[], name: string, key: 'nsPerCall' | 'cpuNsPerCall') =>
    spreadOf(runs.flatMap((r) => r.pipeline?.filter((p) => p.name === name).map((p) => p[key]) ?? []));
  return [`${h} Wrapper cost without the network (pipeline section)`, '',
    'ns per call, one call at a time, median over runs (min–max). "**worse**"/"better": the two ranges do not overlap.', '',
    table(['stack', 'before ns/call', 'after ns/call', 'change', 'before CPU ns/call', 'after CPU ns/call', 'change'],
      names.map((name) => {
        const [bw, aw, bc, ac] = [of(before, name, 'nsPerCall'), of(after, name, 'nsPerCall'), of(before, name, 'cpuNsPerCall'), of(after, name, 'cpuNsPerCall')];
        return [name, show(bw), show(aw), change(bw, aw, true), show(bc), show(ac), change(bc, ac, true)];
      })), ''];
}

/** One line per concurrency for one configuration: docs/benchmarks.md's short form of closedTable. */
function closedSummary(before: Results[], after: Results[], config: string): string[] {
  const levels = [...new Set([...before, ...after].flatMap((r) => r.closed.map((c) => c.concurrency)))].sort((a, b) => a - b);
  if (levels.length === 0) return [];
  const median = (r: Results, c: number, name: string) => r.closed.find((x) => x.concurrency === c)?.rows.find((row) => row.config === name)?.median;
  const xRaw = (runs: Results[], c: number) => spreadOf(runs.map((r) => (median(r, c, config)?.rps ?? NaN) / (median(r, c, 'raw')?.rps ?? NaN)));
  const cpu = (runs: Results[], c: number) => spreadOf(runs.map((r) => median(r, c, config)?.cpuUsPerCall ?? NaN));
  return [`### Unary closed loop, \`${config}\` against one keel server`, '',
    'Throughput as a fraction of the raw grpc-js client in the same run (median over runs, min–max), and client CPU per call.', '',
    table(['concurrency', 'before × raw', 'after × raw', 'change', 'before CPU µs/call', 'after CPU µs/call', 'change'],
      levels.map((c) => [String(c), show(xRaw(before, c), 2), show(xRaw(after, c), 2), change(xRaw(before, c), xRaw(after, c), false),
        show(cpu(before, c), 1), show(cpu(after, c), 1), change(cpu(before, c), cpu(after, c), true)])), ''];
}

function closedTable(before: Results[], after: Results[]): string[] {
  const levels = [...new Set([...before, ...after].flatMap((r) => r.closed.map((c) => c.concurrency)))].sort((a, b) => a - b);
  if (levels.length === 0) return [];
  const out = ['## Unary closed loop against one keel server (closed section)', '',
    'Each run\'s median round, then the median over runs (min–max). "× raw" is each run\'s figure over the raw grpc-js client of the same run and round set (the raw client did not change between the builds, so it absorbs the machine\'s drift); CPU is the client process\'s per call.', ''];
  for (const c of levels) {
    const median = (r: Results, config: string) => r.closed.find((x) => x.concurrency === c)?.rows.find((row) => row.config === config)?.median;
    const configs = [...new Set([...before, ...after].flatMap((r) => r.closed.find((x) => x.concurrency === c)?.rows.map((row) => row.config) ?? []))];
    const rps = (runs: Results[], config: string) => spreadOf(runs.map((r) => median(r, config)?.rps ?? NaN));
    const xRaw = (runs: Results[], config: string) => spreadOf(runs.map((r) => (median(r, config)?.rps ?? NaN) / (median(r, 'raw')?.rps ?? NaN)));
    const cpu = (runs: Results[], config: string) => spreadOf(runs.map((r) => median(r, config)?.cpuUsPerCall ?? NaN));
    const p50 = (runs: Results[], config: string) => spreadOf(runs.map((r) => median(r, config)?.latencyUs.p50 ?? NaN));
    out.push(`### Concurrency ${c}`, '', table(
      ['configuration', 'before calls/s', 'after calls/s', 'before × raw', 'after × raw', 'change × raw', 'before CPU µs/call', 'after CPU µs/call', 'change', 'before p50 µs', 'after p50 µs'],
      configs.map((config) => [config, show(rps(before, config)), show(rps(after, config)), show(xRaw(before, config), 2), show(xRaw(after, config), 2),
        config === 'raw' ? '' : change(xRaw(before, config), xRaw(after, config), false), show(cpu(before, config), 1), show(cpu(after, config), 1),
        change(cpu(before, config), cpu(after, config), true), show(p50(before, config)), show(p50(after, config))])), '');
  }
  return out;
}

/** `short`: docs/benchmarks.md's form (the wrapper costs, and the full stack's closed loop in one table). */
export function renderComparison(before: Results[], after: Results[], title: string, short = false): string {
  const all = [...before, ...after];
  const m = all[0]!.machine;
  const loads = all.map((r) => r.machine.loadStart[0] ?? NaN);
  return [`${short ? '##' : '#'} ${title}`, '',
    `Before: commit ${commits(before)} (${before.length} run(s)); after: commit ${commits(after)} (${after.length} run(s)); run alternately (before, after, before, after…) on the same machine: ${m.cores} cores (${m.cpuModel}), Node ${[...new Set(all.map((r) => r.machine.node))].join(', ')}, ${all.map((r) => r.machine.date.slice(0, 16)).sort()[0]}Z to ${all.map((r) => r.machine.date.slice(0, 16)).sort().at(-1)}Z, load average ${fixed(Math.min(...loads), 1)}–${fixed(Math.max(...loads), 1)} at the runs' starts (other work shared the machine: read ratios and CPU per call, not absolutes).`, '',
    ...pipelineTable(before, after, short ? '###' : '##'), ...(short ? closedSummary(before, after, 'full') : closedTable(before, after))].join('\n');
}

/** Replaces docs/benchmarks.md's before/after block (appending it if missing). */
export function updateReadmeBlock(path: string, body: string): void {
  const readme = readFileSync(path, 'utf8');
  const block = `${AB_START}\n${body}\n${AB_END}`;
  const start = readme.indexOf(AB_START);
  const end = readme.indexOf(AB_END);
  writeFileSync(path, start >= 0 && end > start
    ? readme.slice(0, start) + block + readme.slice(end + AB_END.length)
    : `${readme.replace(/\n*$/, '\n')}\n${block}\n`);
}

function main(argv: string[]): void {
  let before: string[] = [];
  let after: string[] = [];
  let title = 'Before and after';
  let readme = false;
  /** Markdown written by hand (e.g. what a profile showed), put under the tables. */
  let notes = '';
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--before') before = (argv[++i] ?? '').split(',').filter(Boolean);
    else if (arg === '--after') after = (argv[++i] ?? '').split(',').filter(Boolean);
    else if (arg === '--title') title = argv[++i] ?? title;
    else if (arg === '--readme') readme = true;
    else if (arg === '--notes') notes = readFileSync(argv[++i] ?? '', 'utf8').trim();
    else throw new RangeError(`unknown argument ${arg}\nusage: compare --before a.json[,…] --after b.json[,…] [--title <text>] [--notes <file.md>] [--readme]`);
  }
  if (before.length === 0 || after.length === 0) throw new RangeError('compare: --before and --after each need at least one results file');
  const [b, a] = [load(before), load(after)];
  const markdown = `${renderComparison(b, a, title)}\n${notes ? `\n${notes}\n` : ''}`;
  const dir = join(ROOT, 'bench', 'results');
  writeFileSync(join(dir, 'before-after.md'), markdown);
  // Only what the tables read, per run: the evidence without every other section of each run.
  const slim = (runs: Results[]) => runs.map(({ machine, pipeline, closed }) => ({
    machine, pipeline, closed: closed.map(({ concurrency, rows }) => ({ concurrency, rows: rows.map(({ config, median }) => ({ config, median })) })),
  }));
  writeFileSync(join(dir, 'before-after.json'), `${JSON.stringify({ before: slim(b), after: slim(a) }, null, 2)}\n`);
  if (readme) {
    updateReadmeBlock(join(ROOT, 'docs', 'benchmarks.md'), `${renderComparison(b, a, title, true).trimEnd()}\n\n${notes ? `${notes}\n\n` : ''}Every configuration and concurrency: \`bench/results/before-after.md\`.`);
  }
  process.stdout.write(markdown);
}

if (require.main === module) main(process.argv.slice(2));
