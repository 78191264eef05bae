// Issue 19's scenarios: what the servers do, the load, the fault, for each mode. `short` is what `npm test` and
// `bench --quick` run (seconds each); `full` has the durations (the chaos suite's KEEL_CHAOS=full, the bench).
import type { Phase } from './protocol';
import { HEALTHY, type ServerBehaviour } from './server-config';
import type { StackOptions } from './stacks';

export type Mode = 'short' | 'full';

/** The five fast servers (~2 ms) of the node scenarios, or the three worker-pool servers of the overload scenario. */
export type FleetName = 'five' | 'pool';

export interface Scenario {
  name: string;
  title: string;
  fleet: FleetName;
  deadlineMs: number;
  options: StackOptions;
  /** Server i's behaviour for the whole run (without the stack, which the run sets). */
  behaviour: (i: number) => Omit<ServerBehaviour, 'stack'>;
  /** Unmeasured load after the client has reached every server, then the measured phases; `capacity` in calls/s. */
  warm: (mode: Mode, capacity: number) => Phase;
  phases: (mode: Mode, capacity: number) => Phase[];
  /** Server 0 answers after `ms` for calls arriving in [fromMs, toMs) of the measured run; attempts there are counted apart. */
  slow?: (mode: Mode) => { ms: number; fromMs: number; toMs: number };
  /** Server 0 is the bad one (slow, degraded, flaky): its share of attempts is a figure. */
  badNode: boolean;
}

/** The overload fleet: 3 servers, 1 call in service each, 10 ms of service, the rest queued FIFO in the handler. */
export const POOL = { servers: 3, workers: 1, serviceMs: 10 };
/** Five servers at ~2 ms, as in the issue. */
export const FIVE = 5;
const DEADLINE_MS = 1000;
const rate = (mode: Mode): number => (mode === 'full' ? 500 : 250);
const steady = (mode: Mode, fullMs: number, shortMs: number): Phase[] => [{ name: 'steady', ratePerSecond: rate(mode), durationMs: mode === 'full' ? fullMs : shortMs }];
const warmFive = (mode: Mode): Phase => ({ name: 'warm', ratePerSecond: rate(mode), durationMs: mode === 'full' ? 1500 : 400 });
const fast = (): Omit<ServerBehaviour, 'stack'> => ({ ...HEALTHY, serviceMs: 2 });
/** One node answers after 2 s for 20 s of a 24 s run (short: for 2 s of 3 s): Linkerd's "Beyond Round Robin". */
const slowWindow = (mode: Mode) => (mode === 'full' ? { ms: 2000, fromMs: 2000, toMs: 22_000 } : { ms: 2000, fromMs: 500, toMs: 2500 });

export const SCENARIOS: Scenario[] = [
  {
    name: 'slow-node', title: 'one node of 5 answers after 2 s for 20 s (short: 2 s of 3 s)', fleet: 'five', deadlineMs: DEADLINE_MS, options: {},
    behaviour: fast, warm: warmFive, phases: (m) => steady(m, 24_000, 3000), slow: slowWindow, badNode: true,
  },
  {
    name: 'slow-node-hedged', title: 'the same with `hedge({ delayMs: 50 })` added', fleet: 'five', deadlineMs: DEADLINE_MS, options: { hedgeDelayMs: 50 },
    behaviour: fast, warm: warmFive, phases: (m) => steady(m, 24_000, 3000), slow: slowWindow, badNode: true,
  },
  {
    name: 'degraded-node', title: 'one node of 5 at 12 ms, four at 2 ms, no errors', fleet: 'five', deadlineMs: DEADLINE_MS, options: {},
    behaviour: (i) => ({ ...fast(), serviceMs: i === 0 ? 12 : 2 }), warm: warmFive, phases: (m) => steady(m, 15_000, 2000), badNode: true,
  },
  {
    name: 'all-fast', title: 'all 5 nodes at 2 ms (the degraded scenario\'s baseline for p99)', fleet: 'five', deadlineMs: DEADLINE_MS, options: {},
    behaviour: fast, warm: warmFive, phases: (m) => steady(m, 15_000, 2000), badNode: false,
  },
  {
    name: 'flaky-node', title: 'one node of 5 fails 30 % of its calls with UNAVAILABLE', fleet: 'five', deadlineMs: DEADLINE_MS, options: {},
    behaviour: (i) => ({ ...fast(), failRate: i === 0 ? 0.3 : 0 }), warm: warmFive, phases: (m) => steady(m, 15_000, 2000), badNode: true,
  },
  {
    name: 'overload', title: '3 servers, 1 call in service each (FIFO queue in the handler), 10 ms service; 1.5× capacity for 15 s (short: 2.5 s), then 0.5× for 5 s (short: 2 s)',
    fleet: 'pool', deadlineMs: DEADLINE_MS, options: {},
    behaviour: () => ({ ...HEALTHY, serviceMs: POOL.serviceMs, workers: POOL.workers }),
    warm: (m, c) => ({ name: 'warm', ratePerSecond: 0.5 * c, durationMs: m === 'full' ? 1000 : 400 }),
    phases: (m, c) => [
      { name: 'overload', ratePerSecond: 1.5 * c, durationMs: m === 'full' ? 15_000 : 2500 },
      { name: 'after', ratePerSecond: 0.5 * c, durationMs: m === 'full' ? 5000 : 2000 },
    ],
    badNode: false,
  },
];

/** How the overload fleet's capacity is measured first: a closed loop through plain roundRobin(), 8 callers per server. */
export const CAPACITY = {
  // 8 callers per server: its queue never runs dry even when the client is slow to call again (a loaded machine).
  stack: 'plain', concurrency: 8 * POOL.servers,
  warmupMs: (m: Mode): number => (m === 'full' ? 1000 : 500), durationMs: (m: Mode): number => (m === 'full' ? 3000 : 1500),
};

export function scenarioNamed(name: string): Scenario {
  const s = SCENARIOS.find((x) => x.name === name);
  if (s === undefined) throw new RangeError(`no scenario named ${name}; known: ${SCENARIOS.map((x) => x.name).join(', ')}`);
  return s;
}
