// Issue 19's figures, once: judged by the bench report for every stack and asserted by the chaos suite's full
// variant for the recommended one.
import type { Figures } from './figures';

export interface Verdict {
  scenario: string;
  target: string;
  verdict: 'met' | 'missed' | 'n/a';
  measured: string;
}

interface Target {
  scenario: string;
  target: string;
  /** The measured value, from this stack's figures in the scenario (and the stack's other figures, for baselines). */
  value: (f: Figures, mine: readonly Figures[]) => number | undefined;
  ok: (v: number) => boolean;
  show: (v: number) => string;
}

const pct = (v: number): string => `${v.toFixed(v >= 99 ? 2 : 1)} %`;
const ms = (v: number): string => `${v.toFixed(1)} ms`;

export const TARGETS: readonly Target[] = [
  { scenario: 'slow-node', target: '≥ 99.9 % success', value: (f) => f.successPct, ok: (v) => v >= 99.9, show: pct },
  { scenario: 'slow-node', target: 'p99 ≤ 50 ms', value: (f) => f.p99Ms, ok: (v) => v <= 50, show: ms },
  { scenario: 'slow-node-hedged', target: 'the slow node ≤ 2 % of attempts (in its slow window)', value: (f) => f.badSharePct, ok: (v) => v <= 2, show: pct },
  { scenario: 'degraded-node', target: '≤ 5 % of calls to the 12 ms node', value: (f) => f.badSharePct, ok: (v) => v <= 5, show: pct },
  {
    scenario: 'degraded-node', target: 'p99 ≤ 1.5× the all-fast run\'s p99',
    value: (f, mine) => {
      const base = mine.find((x) => x.scenario === 'all-fast' && x.skipped === undefined);
      return base === undefined ? undefined : f.p99Ms / base.p99Ms;
    },
    ok: (v) => v <= 1.5, show: (v) => `×${v.toFixed(2)}`,
  },
  { scenario: 'flaky-node', target: '100 % success', value: (f) => f.successPct, ok: (v) => v >= 100, show: pct },
  { scenario: 'flaky-node', target: 'the flaky node ≤ 5 % of attempts', value: (f) => f.badSharePct, ok: (v) => v <= 5, show: pct },
  { scenario: 'overload', target: 'goodput ≥ 90 % of capacity', value: (f) => f.overload?.goodputPct, ok: (v) => v >= 90, show: pct },
  { scenario: 'overload', target: '≤ 10 % of server work for callers already gone', value: (f) => f.overload?.goodbyeWorkPct, ok: (v) => v <= 10, show: pct },
  { scenario: 'overload', target: 'p99 of successful calls ≤ 10× the service time', value: (f) => f.overload?.okP99OverService, ok: (v) => v <= 10, show: (v) => `×${v.toFixed(1)}` },
  { scenario: 'overload', target: 'back to full goodput ≤ 2 s after the load drops', value: (f) => f.overload === undefined ? undefined : f.overload.recoveryMs ?? Infinity, ok: (v) => v <= 2000, show: (v) => (Number.isFinite(v) ? `${(v / 1000).toFixed(2)} s` : 'never (in the run)') },
];

/** Each target of the scenarios `stack` ran, judged. */
export function judge(figures: readonly Figures[], stack: string): Verdict[] {
  const mine = figures.filter((f) => f.stack === stack);
  return TARGETS.flatMap((t): Verdict[] => {
    const f = mine.find((x) => x.scenario === t.scenario);
    if (f === undefined) return [];
    const v = f.skipped === undefined ? t.value(f, mine) : undefined;
    if (v === undefined || Number.isNaN(v)) return [{ scenario: t.scenario, target: t.target, verdict: 'n/a' as const, measured: f.skipped ?? 'not measured' }];
    return [{ scenario: t.scenario, target: t.target, verdict: t.ok(v) ? 'met' as const : 'missed' as const, measured: t.show(v) }];
  });
}
