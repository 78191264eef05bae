// The resilience section of the bench report (and main.ts's output): the stacks side by side.
import { fixed, int, table } from '../report/format';
import { STARVED_LAG_MS, starved, type Figures } from './figures';
import type { SuiteResult } from './run';
import { SCENARIOS } from './scenarios';
import { RECOMMENDED, STACKS } from './stacks';
import { judge } from './targets';

const p = (x: number | undefined, digits = 1): string => (x === undefined || !Number.isFinite(x) ? '–' : `${fixed(x, digits)} %`);
const ms = (x: number | undefined): string => (x === undefined || !Number.isFinite(x) ? '–' : `${fixed(x, x < 100 ? 1 : 0)} ms`);

/** The figures the issue's table names, in one cell. */
function headline(f: Figures, mine: readonly Figures[]): string {
  if (f.skipped !== undefined) return '—';
  return `${starved(f) ? '⚠ ' : ''}${figuresLine(f, mine)}`;
}

function figuresLine(f: Figures, mine: readonly Figures[]): string {
  const base = mine.find((x) => x.scenario === 'all-fast' && x.skipped === undefined);
  switch (f.scenario) {
    case 'slow-node':
      return `${p(f.successPct, 2)} ok, p99 ${ms(f.p99Ms)}; slow node ${p(f.badSharePct)} of attempts`;
    case 'slow-node-hedged':
      return `p99 ${ms(f.p99Ms)}; slow node ${p(f.badSharePct)} of attempts`;
    case 'degraded-node':
      return `12 ms node ${p(f.badSharePct)} of calls; p99 ${ms(f.p99Ms)}${base ? ` (×${(f.p99Ms / base.p99Ms).toFixed(2)} all-fast)` : ''}`;
    case 'all-fast':
      return `p99 ${ms(f.p99Ms)}`;
    case 'flaky-node':
      return `${p(f.successPct, 2)} ok; flaky node ${p(f.badSharePct)} of attempts`;
    case 'overload': {
      const o = f.overload;
      if (o === undefined) return '–';
      return `goodput ${p(o.goodputPct, 0)} of capacity; ${p(o.goodbyeWorkPct, 0)} of work for callers gone; ok p99 ${ms(o.okP99Ms)} (×${fixed(o.okP99OverService, 1)} service); ` +
        `back ${o.recoveryMs === undefined ? 'never' : `in ${fixed(o.recoveryMs / 1000, 2)} s`}; ${int(f.rst)} RST_STREAM 2`;
    }
    default:
      return `${p(f.successPct, 2)} ok, p99 ${ms(f.p99Ms)}`;
  }
}

const topErrors = (f: Figures): string => {
  const e = Object.entries(f.errors).filter(([k]) => k !== 'INTERNAL/rst_stream_2').sort((a, b) => b[1] - a[1]).slice(0, 3);
  return e.length === 0 ? '' : e.map(([k, n]) => `${k.replace(/\|/g, '/')}: ${int(n)}`).join('; ');
};

export interface RunInfo {
  loadStart: number[];
  loadEnd: number[];
  node: string;
  /** The commit measured (bench/orchestration/machine.ts), when the caller knows it. */
  commit?: string;
}

export function resilienceMarkdown(result: SuiteResult, info: RunInfo): string[] {
  const stacks = [...new Set(result.figures.map((f) => f.stack))];
  const scenarios = SCENARIOS.filter((s) => result.figures.some((f) => f.scenario === s.name));
  const name = (s: string): string => (s === RECOMMENDED ? `${s} (recommended)` : s);
  const out = ['## Resilience scenarios (issue 19)', '',
    `Open loop (calls due on schedule, latency from the due time; a failed call counts as taking its whole deadline; goodput = calls that succeeded within their deadline), deadline 1 s, ` +
    `${result.mode === 'full' ? '500' : '250'} calls/s on 5 keel servers at ~2 ms (\`${result.mode}\` durations); overload: 3 servers with 1 call in service each and a FIFO queue in the handler, 10 ms of service` +
    `${result.capacityPerS !== undefined ? `, capacity measured first: ${int(result.capacityPerS)} calls/s` : ''}. ` +
    `Every server and the client run in their own processes on loopback (\`bench/scenarios/\`). Node ${info.node}${info.commit !== undefined ? `, commit ${info.commit}` : ''}; load average ${info.loadStart.map((x) => x.toFixed(1)).join(' / ')} at the start, ` +
    `${info.loadEnd.map((x) => x.toFixed(1)).join(' / ')} at the end (a shared machine); wall ${fixed(result.wallMs / 1000, 0)} s. ` +
    'Attempt shares are counted by the client (the node each attempt went to); the servers\' own count is in the detail tables. ' +
    `⚠ marks a run whose client sent its calls late (send lag p99 over ${STARVED_LAG_MS} ms): starved of CPU, it measured the machine more than the stack.`, ''];
  out.push(table(['scenario', ...stacks.map(name)], scenarios.map((s) => [s.name, ...stacks.map((st) => {
    const f = result.figures.find((x) => x.scenario === s.name && x.stack === st);
    return f === undefined ? '' : headline(f, result.figures.filter((x) => x.stack === st));
  })])), '');
  const verdicts = stacks.map((st) => judge(result.figures, st));
  const rows = verdicts[0]?.map((v, i) => [`${v.scenario}: ${v.target}`, ...verdicts.map((vs) => {
    const x = vs[i];
    return x === undefined ? '' : x.verdict === 'n/a' ? 'n/a' : `${x.measured} ${x.verdict === 'met' ? 'met' : '**missed**'}`;
  })]) ?? [];
  if (rows.length > 0) out.push('### Issue 19\'s figures', '', table(['target', ...stacks.map(name)], rows), '');
  for (const s of scenarios) {
    const fs = stacks.map((st) => result.figures.find((f) => f.scenario === s.name && f.stack === st)).filter((f): f is Figures => f !== undefined && f.skipped === undefined);
    out.push(`### ${s.name}: ${s.title}`, '');
    const over = s.name === 'overload';
    out.push(table(
      ['stack', 'calls', 'ok in deadline', 'p50', 'p99', 'ok p99', 'attempts/call', ...(s.badNode ? ['bad node (client / server)'] : []),
        ...(over ? ['offered/s', 'server work/s', 'goodput/s', 'goodput', 'work for callers gone', 'back to full goodput'] : []),
        'RST_STREAM 2', 'other failures', 'send lag p99 / max', 'client CPU µs/call'],
      fs.map((f) => [name(f.stack), int(f.calls), p(f.successPct, 2), ms(f.p50Ms), ms(f.p99Ms), ms(f.okP99Ms), fixed(f.attemptsPerCall, 2),
        ...(s.badNode ? [`${p(f.badSharePct)} / ${p(f.badShareServerPct)}`] : []),
        ...(over && f.overload ? [int(f.overload.offeredPerS), int(f.overload.throughputPerS), int(f.overload.goodputPerS), p(f.overload.goodputPct, 0),
          p(f.overload.goodbyeWorkPct, 0), f.overload.recoveryMs === undefined ? 'never' : `${fixed(f.overload.recoveryMs / 1000, 2)} s`] : over ? ['', '', '', '', '', ''] : []),
        int(f.rst), topErrors(f), `${ms(f.sendLagMs.p99)} / ${ms(f.sendLagMs.max)}`, int(f.cpuUsPerCall)])), '');
  }
  out.push('Stacks:', '', ...stacks.map((s) => `- \`${name(s)}\`: ${STACKS[s]?.label ?? s}`));
  return out;
}
