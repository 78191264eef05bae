// From one run's client result and its servers' counts to the figures issue 19 names.
import type { OpenResult } from './protocol';
import type { ServerCounts } from './server-config';
import { sumCounts } from './servers';
import { POOL, type Scenario } from './scenarios';

/** What one stack did in one scenario. */
export interface Figures {
  scenario: string;
  stack: string;
  /** Set when the stack has no form for the scenario (e.g. grpc-js has no hedging): nothing else is. */
  skipped?: string;
  calls: number;
  /** Calls that succeeded within their deadline (from their due time), %. */
  successPct: number;
  /** All calls, a failure counted at the deadline, ms. */
  p50Ms: number;
  p99Ms: number;
  /** Successful calls only. */
  okP99Ms: number;
  /** Attempts that reached a node, per call. */
  attemptsPerCall: number;
  /** Share of attempts to the bad node (server 0), client side (by the node each attempt went to); in the slow window for the slow node. */
  badSharePct?: number;
  /** The same, counted by the servers (arrivals). */
  badShareServerPct?: number;
  errors: Record<string, number>;
  /** INTERNAL `Received RST_STREAM with code 2` / `Session closed with error code 2`. */
  rst: number;
  saturated: number;
  unanswered: number;
  sendLagMs: { p99: number; max: number };
  /** The client process's CPU per call, µs (a client starved of CPU falls behind its schedule: see sendLagMs). */
  cpuUsPerCall: number;
  /** The servers' counts over the whole run, and server 0's. */
  servers: ServerCounts;
  badServer: ServerCounts;
  /** Server 0's counts from the start of the job, its warm-up included (a node ejected early served its calls then). */
  badWithWarmUp: ServerCounts;
  /** Server 0's counts in the slow window, when the scenario has one. */
  badFocus?: ServerCounts;
  overload?: OverloadFigures;
}

export interface OverloadFigures {
  capacityPerS: number;
  offeredPerS: number;
  /** Successful calls within deadline per second, in the overload phase. */
  goodputPerS: number;
  goodputPct: number;
  /** Work the servers finished per second in the overload phase. */
  throughputPerS: number;
  /** Share of the servers' work in the overload phase done for callers that had already gone, %. */
  goodbyeWorkPct: number;
  /** p99 of successful calls in the overload phase, and as a multiple of the service time. */
  okP99Ms: number;
  okP99OverService: number;
  /** From the drop to the start of the first window from which every window had ≥ 95 % of its calls succeed in time; undefined: never. */
  recoveryMs: number | undefined;
}

/**
 * A client whose calls went out this late (p99 of how late each was sent after it was due, ms) was starved of CPU
 * (a loaded machine): its figures then measure the machine more than the stack, and the report says so.
 */
export const STARVED_LAG_MS = 50;

export function starved(f: Figures): boolean {
  return f.skipped === undefined && f.sendLagMs.p99 > STARVED_LAG_MS;
}

const pct = (n: number, of: number): number => (of > 0 ? (100 * n) / of : NaN);

/** Of the attempts that reached a node, the share that reached `address`, %. */
function share(attempts: Record<string, number>, address: string): number {
  const total = Object.entries(attempts).filter(([a]) => a !== 'unknown').reduce((s, [, n]) => s + n, 0);
  return pct(attempts[address] ?? 0, total);
}

/** Recovery: windows of the `after` phase; the first from which all (complete) windows had ≥ 95 % goodput. */
export function recovery(result: OpenResult, dropMs: number, endMs: number, windowMs: number): number | undefined {
  const after = result.windows.filter((w) => w.atMs >= dropMs && w.atMs + windowMs <= endMs && w.calls > 0);
  let from: number | undefined;
  for (const w of after) {
    if (w.okInDeadline >= 0.95 * w.calls) from ??= w.atMs;
    else from = undefined;
  }
  return from === undefined ? undefined : from - dropMs;
}

export interface RunCounts {
  /** Per server (index as the fleet's), over the whole run. */
  perServer: ServerCounts[];
  /** Server 0 from the start of the job (its warm-up included). */
  badWithWarmUp: ServerCounts;
  /** Per server, over the focus (slow) window, when there is one. */
  focus?: ServerCounts[];
  /** All servers over the overload phase. */
  overloadPhase?: ServerCounts;
}

export function figuresOf(scenario: Scenario, stack: string, result: OpenResult, counts: RunCounts, badAddress: string | undefined,
  capacityPerS: number, windowMs: number): Figures {
  const servers = sumCounts(counts.perServer);
  const badServer = counts.perServer[0] ?? servers;
  const attempts = Object.entries(result.attempts).filter(([a]) => a !== 'unknown').reduce((s, [, n]) => s + n, 0);
  const figures: Figures = {
    scenario: scenario.name, stack, calls: result.calls, successPct: pct(result.okInDeadline, result.calls),
    p50Ms: result.latencyMs.p50, p99Ms: result.latencyMs.p99, okP99Ms: result.okLatencyMs.p99, attemptsPerCall: attempts / result.calls,
    errors: result.errors, rst: result.rst, saturated: result.saturated, unanswered: result.unanswered, sendLagMs: result.sendLagMs, cpuUsPerCall: result.cpuUsPerCall, servers, badServer, badWithWarmUp: counts.badWithWarmUp,
  };
  if (scenario.badNode && badAddress !== undefined) {
    figures.badSharePct = share(scenario.slow !== undefined ? result.focusAttempts : result.attempts, badAddress);
    const inWindow = counts.focus ?? counts.perServer;
    if (counts.focus?.[0] !== undefined) figures.badFocus = counts.focus[0];
    figures.badShareServerPct = pct(inWindow[0]?.arrived ?? 0, sumCounts(inWindow).arrived);
  }
  const over = result.phases.find((p) => p.name === 'overload');
  const after = result.phases.find((p) => p.name === 'after');
  if (over !== undefined && after !== undefined && counts.overloadPhase !== undefined) {
    const seconds = (over.toMs - over.fromMs) / 1000;
    const goodputPerS = over.okInDeadline / seconds;
    figures.overload = {
      capacityPerS, offeredPerS: over.calls / seconds, goodputPerS, goodputPct: pct(goodputPerS, capacityPerS),
      throughputPerS: counts.overloadPhase.completed / seconds, goodbyeWorkPct: pct(counts.overloadPhase.completedForGone, counts.overloadPhase.completed),
      okP99Ms: over.okP99Ms, okP99OverService: over.okP99Ms / POOL.serviceMs, recoveryMs: recovery(result, after.fromMs, after.toMs, windowMs),
    };
  }
  return figures;
}
