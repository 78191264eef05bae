import { int } from './format';
import type { Row } from '../orchestration/measure';
import type { Segment } from '../shared/protocol';
import type { Results, TargetCheck } from './results';
import { streamHeadline } from './streams';
import { RECOMMENDED } from '../scenarios/stacks';
import { judge } from '../scenarios/targets';

const median = (rows: Row[] | undefined, config: string) => rows?.find((r) => r.config === config)?.median;
const pct = (x: number): string => `${(x * 100).toFixed(1)}%`;
const signed = (x: number): string => (x >= 0 ? `+${int(x)}` : int(x));

/** `a / b` round by round (both ran in each round), e.g. `; per round ×0.93 ×1.01 ×0.97`. */
function perRound(rows: Row[] | undefined, a: string, b: string, value: (s: Segment) => number): string {
  const ra = rows?.find((r) => r.config === a)?.rounds ?? [];
  const rb = rows?.find((r) => r.config === b)?.rounds ?? [];
  const n = Math.min(ra.length, rb.length);
  if (n < 2) return '';
  const ratios = Array.from({ length: n }, (_, i) => value(ra[i] as Segment) / value(rb[i] as Segment));
  return `; per round ${ratios.map((x) => `×${x.toFixed(2)}`).join(' ')}`;
}

/** The issue's targets, judged on this run's numbers (benchmark results, not pass/fail tests). */
export function checkTargets(results: Results): TargetCheck[] {
  const checks: TargetCheck[] = [];
  const closed = (c: number): Row[] | undefined => results.closed.find((x) => x.concurrency === c)?.rows;
  const check = (target: string, ok: boolean | undefined, measured: () => string): void => {
    checks.push({ target, verdict: ok === undefined ? 'n/a' : ok ? 'met' : 'missed', measured: ok === undefined ? 'not measured' : measured() });
  };

  const raw64 = median(closed(64), 'raw');
  const full64 = median(closed(64), 'full');
  check('full stack ≥ 95% of the raw client\'s throughput at concurrency 64', raw64 && full64 ? full64.rps >= 0.95 * raw64.rps : undefined,
    () => `${int(full64!.rps)} vs ${int(raw64!.rps)} calls/s = ${pct(full64!.rps / raw64!.rps)}${perRound(closed(64), 'full', 'raw', (s) => s.rps)}`);

  const raw1 = median(closed(1), 'raw');
  const full1 = median(closed(1), 'full');
  check('full stack adds ≤ 15 µs to p50 at concurrency 1', raw1 && full1 ? full1.latencyUs.p50 - raw1.latencyUs.p50 <= 15 : undefined,
    () => `${signed(full1!.latencyUs.p50 - raw1!.latencyUs.p50)} µs: ${int(full1!.latencyUs.p50)} vs ${int(raw1!.latencyUs.p50)} µs`);

  const open80 = results.open.find((o) => Math.abs(o.fraction - 0.8) < 1e-9);
  const rawO = median(open80?.rows, 'raw');
  const fullO = median(open80?.rows, 'full');
  check('open loop at 80% of the raw client\'s capacity: full-stack p99 within 10% of raw',
    rawO && fullO ? fullO.latencyUs.p99 <= 1.1 * rawO.latencyUs.p99 : undefined,
    () => `${int(fullO!.latencyUs.p99)} vs ${int(rawO!.latencyUs.p99)} µs at ${int(open80!.ratePerSecond)}/s = ×${(fullO!.latencyUs.p99 / rawO!.latencyUs.p99).toFixed(2)}${perRound(open80!.rows, 'full', 'raw', (s) => s.latencyUs.p99)}`);

  const nice64 = median(closed(64), 'nice-grpc');
  check('full stack faster than nice-grpc (throughput at concurrency 64)', full64 && nice64 ? full64.rps > nice64.rps : undefined,
    () => `${int(full64!.rps)} vs ${int(nice64!.rps)} calls/s = ×${(full64!.rps / nice64!.rps).toFixed(2)}${perRound(closed(64), 'full', 'nice-grpc', (s) => s.rps)}`);
  const naive64 = median(closed(64), 'naive');
  check('full stack far faster (≥ 2×) than opossum + bottleneck + OTel by hand (concurrency 64)',
    full64 && naive64 ? full64.rps >= 2 * naive64.rps : undefined,
    () => `${int(full64!.rps)} vs ${int(naive64!.rps)} calls/s = ×${(full64!.rps / naive64!.rps).toFixed(1)}`);

  for (const c of results.streams ?? []) {
    const raw = c.rows.find((r) => r.config === 'stream-raw')?.median;
    const full = c.rows.find((r) => r.config === 'stream-full')?.median;
    check(`server stream (${c.variant.name}) through the full stack ≥ 90% of raw grpc-js messages/s`, raw && full ? full.rate >= 0.9 * raw.rate : undefined,
      () => streamHeadline(c) ?? '');
  }

  const rr3 = median(results.nodes3.find((x) => x.concurrency === 64)?.rows, 'roundRobin');
  const ll3 = median(results.nodes3.find((x) => x.concurrency === 64)?.rows, 'leastLoaded');
  check('leastLoaded() within 2% of roundRobin() throughput at concurrency 64 (3 healthy nodes)', rr3 && ll3 ? ll3.rps >= 0.98 * rr3.rps : undefined,
    () => `${int(ll3!.rps)} vs ${int(rr3!.rps)} calls/s = ${pct(ll3!.rps / rr3!.rps)}${perRound(results.nodes3.find((x) => x.concurrency === 64)?.rows, 'leastLoaded', 'roundRobin', (s) => s.rps)}; client CPU ${int(ll3!.cpuUsPerCall)} vs ${int(rr3!.cpuUsPerCall)} µs/call`);

  const acc = results.accuracy;
  check('rate limiter within 1% of its rate at 1, 100, 1,000 and 20,000/s', acc ? acc.every((a) => Math.abs(a.rateErrorPct) <= 1) : undefined,
    () => acc!.map((a) => `${int(a.ratePerSecond)}/s: ${a.rateErrorPct >= 0 ? '+' : ''}${a.rateErrorPct.toFixed(2)}%`).join(', '));

  const sel = results.scale?.selection;
  const first = sel?.find((r) => r.nodes === 10) ?? sel?.[0];
  const last = sel?.[sel.length - 1];
  check(`node selection O(1): ns per pick at ${int(last?.nodes)} nodes ≤ 2× at ${int(first?.nodes)} (1 node takes a shortcut)`,
    first && last ? last.roundRobin <= 2 * first.roundRobin && last.random <= 2 * first.random : undefined,
    () => `roundRobin ${first!.roundRobin.toFixed(0)} → ${last!.roundRobin.toFixed(0)} ns, random ${first!.random.toFixed(0)} → ${last!.random.toFixed(0)} ns`);
  // Issue 19's figures, for the recommended stack (every stack's are in the resilience section).
  const resilience = results.resilience?.figures;
  if (resilience !== undefined) {
    for (const v of judge(resilience, RECOMMENDED)) {
      checks.push({ target: `${v.scenario} (${results.resilience?.mode} run), stack \`${RECOMMENDED}\`: ${v.target}`, verdict: v.verdict, measured: v.measured });
    }
  }
  return checks;
}
