// Runs scenarios × stacks: starts the servers, measures the overload fleet's capacity
// first, then each scenario with each stack (the stacks' order rotated from one scenario to the next), each run in
// a fresh client process, and stops everything however the run ends. Used by the bench section, the chaos suite
// and main.ts.
import { performance } from 'node:perf_hooks';
import { figuresOf, type Figures, type RunCounts } from './figures';
import { Child } from './ipc';
import type { ClosedResult, OpenJob, OpenResult } from './protocol';
import { CAPACITY, FIVE, POOL, type FleetName, type Mode, type Scenario } from './scenarios';
import { ScenarioServers, sumCounts, type ScenarioServer, type Target } from './servers';
import { stackNamed } from './stacks';

export interface SuiteOptions {
  mode: Mode;
  scenarios: readonly Scenario[];
  /** Stack names (stacks.ts); `recommended` is RECOMMENDED. */
  stacks: readonly string[];
  /** Where the compiled scenario entry points are (default: this folder; the bench passes its snapshot). */
  dir?: string;
  /** Progress lines. */
  log?: (line: string) => void;
}

export interface SuiteResult {
  mode: Mode;
  /** The overload fleet's measured capacity, calls/s (when the overload scenario ran). */
  capacityPerS?: number;
  figures: Figures[];
  wallMs: number;
}

const WINDOW_MS = 250;

/**
 * A fresh client process for every run, so that nothing one stack left behind (channels, timers, a heap to collect)
 * weighs on the next; the next one is started while the current run goes, so that runs do not wait for it.
 */
class ClientProcesses {
  private spare: Promise<Child> | undefined;

  constructor(private readonly dir: string) {}

  async take(): Promise<Child> {
    const next = this.spare ?? this.start();
    this.spare = this.start();
    return next;
  }

  async stop(): Promise<void> {
    const spare = this.spare;
    this.spare = undefined;
    await spare?.then((c) => c.stop(), () => undefined);
  }

  private start(): Promise<Child> {
    const started = Child.start<true>(this.dir, 'client-process.js', []).then((s) => s.child);
    started.catch(() => undefined); // a spare that failed to start is reported when taken
    return started;
  }
}
const MAX_IN_FLIGHT = 5000;

interface Fleet {
  target: Target;
  servers: ScenarioServer[];
}

async function runOne(client: Child, fleet: Fleet, scenario: Scenario, stack: string, mode: Mode, capacity: number): Promise<Figures> {
  await Promise.all(fleet.servers.map((s, i) => s.configure({ ...scenario.behaviour(i), stack })));
  const slow = scenario.slow?.(mode);
  const job: OpenJob = {
    kind: 'open', stack, options: scenario.options, target: fleet.target, deadlineMs: scenario.deadlineMs,
    warm: scenario.warm(mode, capacity), phases: scenario.phases(mode, capacity), maxInFlight: MAX_IN_FLIGHT, windowMs: WINDOW_MS,
    ...(slow !== undefined ? { focus: { fromMs: slow.fromMs, toMs: slow.toMs } } : {}),
  };
  const bad = fleet.servers[0] as ScenarioServer;
  let configuring: Promise<void> | undefined;
  client.onEvent((event) => {
    const at = (event as { measuring?: number }).measuring;
    if (at === undefined || slow === undefined) return;
    configuring = bad.slow({ ms: slow.ms, fromEpochMs: at + slow.fromMs, toEpochMs: at + slow.toMs });
  });
  const jobEpochMs = Date.now();
  const totalMs = job.phases.reduce((s, p) => s + p.durationMs, 0) + job.warm.durationMs;
  const result = await client.ask<OpenResult | null>(job, totalMs + scenario.deadlineMs + 60_000);
  await configuring;
  if (result === null) return { scenario: scenario.name, stack, skipped: 'no form of this stack for the scenario' } as Figures;
  // Every call has settled (or was given up) when the client answers: the servers' counts are read once the
  // current 100 ms bucket has closed.
  await new Promise((r) => setTimeout(r, 150));
  const endEpochMs = Date.now();
  const counts: RunCounts = {
    perServer: await Promise.all(fleet.servers.map((s) => s.counts(result.startEpochMs, endEpochMs))),
    badWithWarmUp: await bad.counts(jobEpochMs, endEpochMs),
  };
  if (slow !== undefined) {
    counts.focus = await Promise.all(fleet.servers.map((s) => s.counts(result.startEpochMs + slow.fromMs, result.startEpochMs + slow.toMs)));
  }
  const over = result.phases.find((p) => p.name === 'overload');
  if (over !== undefined) {
    counts.overloadPhase = sumCounts(await Promise.all(fleet.servers.map((s) => s.counts(result.startEpochMs + over.fromMs, result.startEpochMs + over.toMs))));
  }
  return figuresOf(scenario, stack, result, counts, bad.address, capacity, WINDOW_MS);
}

/** Runs every scenario with every stack; bounded (each job has a timeout; processes are stopped in `finally`). */
export async function runSuite(options: SuiteOptions): Promise<SuiteResult> {
  const t0 = performance.now();
  const log = options.log ?? (() => undefined);
  for (const name of options.stacks) stackNamed(name); // unknown names fail before anything starts
  const servers = new ScenarioServers(options.dir);
  const clients = new ClientProcesses(options.dir ?? __dirname);
  try {
    const need = new Set<FleetName>(options.scenarios.map((s) => s.fleet));
    log(`starting ${need.has('five') ? FIVE : 0} + ${need.has('pool') ? POOL.servers : 0} servers`);
    const [five, pool] = await Promise.all([
      need.has('five') ? servers.start(FIVE, 'scenario-five') : undefined,
      need.has('pool') ? servers.start(POOL.servers, 'scenario-pool') : undefined,
    ]);
    /** One job in a fresh client process, stopped after it. */
    const inFresh = async <T>(job: (client: Child) => Promise<T>): Promise<T> => {
      const client = await clients.take();
      try {
        return await job(client);
      } finally {
        await client.stop();
      }
    };
    let capacity = 0;
    if (pool !== undefined) {
      await Promise.all(pool.servers.map((s) => s.configure({ serviceMs: POOL.serviceMs, failRate: 0, workers: POOL.workers, stack: CAPACITY.stack })));
      const measured = await inFresh((client) => client.ask<ClosedResult>({ kind: 'closed', stack: CAPACITY.stack, target: pool.target, deadlineMs: 5000,
        concurrency: CAPACITY.concurrency, warmupMs: CAPACITY.warmupMs(options.mode), durationMs: CAPACITY.durationMs(options.mode) },
      CAPACITY.warmupMs(options.mode) + CAPACITY.durationMs(options.mode) + 60_000));
      capacity = measured.perSecond;
      log(`overload fleet capacity: ${capacity.toFixed(0)} calls/s (${POOL.servers} × ${POOL.workers} worker at ${POOL.serviceMs} ms: ${(1000 / POOL.serviceMs) * POOL.servers * POOL.workers} at most)`);
    }
    const figures: Figures[] = [];
    for (const [k, scenario] of options.scenarios.entries()) {
      const fleet = scenario.fleet === 'five' ? five : pool;
      if (fleet === undefined) continue;
      const order = options.stacks.map((_, i) => options.stacks[(i + k) % options.stacks.length] as string);
      for (const stack of order) {
        log(`${scenario.name} · ${stack}`);
        figures.push(await inFresh((client) => runOne(client, fleet, scenario, stack, options.mode, capacity)));
      }
    }
    return { mode: options.mode, ...(pool !== undefined ? { capacityPerS: capacity } : {}), figures, wallMs: performance.now() - t0 };
  } finally {
    await clients.stop();
    await servers.stop();
  }
}
