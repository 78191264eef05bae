/** How much of everything a run measures: `--quick` (CI smoke test, about two minutes) or the full run. */
export interface Plan {
  mode: 'full' | 'quick';
  /** Rounds of each interleaved closed-loop comparison (1 node); the median round is reported. */
  rounds: number;
  /** Rounds of the open-loop, 3-node and diagnose comparisons. */
  fewerRounds: number;
  /** Unmeasured load each client process runs once before its first measurement (JIT, connections). */
  primeMs: number;
  warmupMs: number;
  /** The measured window of one closed-loop segment. */
  durationMs: number;
  /** The measured window of one open-loop segment (longer: its p99 is a target). */
  openDurationMs: number;
  /** Cap on calls per segment (closed loop), besides the time bound. */
  maxCallsPerSecond: number;
  concurrencies: number[];
  /** Open-loop rates as fractions of the raw client's best closed-loop throughput in this run. */
  openFractions: number[];
  openMaxInFlight: number;
  openDrainMs: number;
  /** Closed-loop concurrency for the 3-node section. */
  nodes3Concurrencies: number[];
  /**
   * Takes keel's cost apart: raw vs raw+deadline vs keel, the full stack with and without tracing
   * (diagnostic configurations), closed loop at `concurrencies`, and the open loop at `openFraction`
   * of the raw client's capacity for `openConfigs`.
   */
  diagnose: { concurrencies: number[]; durationMs: number; rounds: number; openFraction: number; openConfigs: string[] };
  ghz: { concurrencies: number[]; durationMs: number; rounds: number };
  /** Issue 21's side-by-side table (SIDE_ORDER): closed loop at these concurrencies, interleaved rounds. */
  side: { concurrencies: number[]; durationMs: number; rounds: number };
  scale: { sizes: number[]; microMs: number; terminalMs: number; circuitBudgetMs: number; fillSizes: number[] };
  accuracy: { rates: number[]; windowMs: number };
  /** Time bound per wrapper stack in the no-network pipeline measurement. */
  pipelineMs: number;
  /**
   * Server-streaming throughput, full stack vs raw grpc-js: one stream per segment per variant, `rounds`
   * interleaved rounds, each stream cut at `maxMs` (then counted as incomplete).
   */
  streams: { rounds: number; maxMs: number; variants: StreamVariant[] };
  /** The API gateway against direct keel calls: closed loop at each concurrency, `rounds` interleaved rounds. */
  gateway: { concurrencies: number[]; rounds: number; warmupMs: number; durationMs: number };
  /** Issue 19's resilience scenarios (bench/scenarios/): `short` durations (as `npm test` runs them) or the issue's (`full`). */
  resilience: { mode: 'short' | 'full' };
}

/** One server-stream shape: `count` messages of `size` payload bytes, after `warmupCount` unmeasured ones. */
export interface StreamVariant {
  name: string;
  count: number;
  size: number;
  warmupCount: number;
}

export const FULL: Plan = {
  mode: 'full',
  rounds: 5,
  fewerRounds: 3,
  primeMs: 1000,
  warmupMs: 200,
  durationMs: 1000,
  openDurationMs: 1500,
  maxCallsPerSecond: 50_000,
  concurrencies: [1, 16, 64, 256],
  openFractions: [0.5, 0.8],
  openMaxInFlight: 512,
  openDrainMs: 1000,
  nodes3Concurrencies: [64],
  diagnose: { concurrencies: [1, 64], durationMs: 1000, rounds: 3, openFraction: 0.8, openConfigs: ['raw', 'keel', 'full-notrace', 'full'] },
  ghz: { concurrencies: [1, 64], durationMs: 1500, rounds: 5 },
  side: { concurrencies: [1, 64], durationMs: 1000, rounds: 7 },
  scale: { sizes: [1, 10, 100, 1000, 10_000], microMs: 300, terminalMs: 1000, circuitBudgetMs: 3000, fillSizes: [10, 100, 1000, 10_000] },
  accuracy: { rates: [1, 100, 1000, 20_000], windowMs: 2000 },
  pipelineMs: 500,
  streams: {
    rounds: 5,
    maxMs: 15_000,
    variants: [
      { name: 'small (16 B)', count: 100_000, size: 16, warmupCount: 5000 },
      { name: '4 KiB', count: 20_000, size: 4096, warmupCount: 1000 },
    ],
  },
  gateway: { concurrencies: [1, 16, 64], rounds: 3, warmupMs: 300, durationMs: 1500 },
  resilience: { mode: 'full' },
};

export const QUICK: Plan = {
  mode: 'quick',
  rounds: 1,
  fewerRounds: 1,
  primeMs: 150,
  warmupMs: 80,
  durationMs: 150,
  openDurationMs: 250,
  maxCallsPerSecond: 50_000,
  concurrencies: [1, 16, 64, 256],
  openFractions: [0.8],
  openMaxInFlight: 512,
  openDrainMs: 500,
  nodes3Concurrencies: [64],
  diagnose: { concurrencies: [64], durationMs: 150, rounds: 1, openFraction: 0.8, openConfigs: ['raw', 'keel', 'full-notrace', 'full'] },
  ghz: { concurrencies: [64], durationMs: 300, rounds: 1 },
  side: { concurrencies: [1, 64], durationMs: 150, rounds: 1 },
  scale: { sizes: [1, 10, 100, 1000, 10_000], microMs: 60, terminalMs: 200, circuitBudgetMs: 300, fillSizes: [10, 100, 1000] },
  accuracy: { rates: [1, 100, 1000, 20_000], windowMs: 300 },
  pipelineMs: 100,
  streams: {
    rounds: 1,
    maxMs: 3000,
    variants: [
      { name: 'small (16 B)', count: 10_000, size: 16, warmupCount: 1000 },
      { name: '4 KiB', count: 2000, size: 4096, warmupCount: 200 },
    ],
  },
  gateway: { concurrencies: [16], rounds: 1, warmupMs: 100, durationMs: 200 },
  resilience: { mode: 'short' },
};
