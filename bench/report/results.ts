import type { AccuracyRow } from '../in-process/accuracy';
import type { GhzResult } from '../loads/ghz/ghz';
import type { Machine } from '../orchestration/machine';
import type { Row } from '../orchestration/measure';
import type { PipelineRow } from '../in-process/pipeline';
import type { Plan } from '../orchestration/plan';
import type { ScaleResult } from '../scale/scale';
import type { StreamComparison } from '../loads/streams/section';
import type { GatewayResult } from '../loads/gateway/section';
import type { ResilienceResult } from '../scenarios/section';

export interface ClosedComparison {
  concurrency: number;
  rows: Row[];
}

export interface OpenComparison {
  /** The fraction of the raw client's capacity this rate is. */
  fraction: number;
  ratePerSecond: number;
  rows: Row[];
}

export interface GhzRow {
  /** `grpc-js`, `keel`, `keel + handler wrappers`. */
  server: string;
  concurrency: number;
  rounds: GhzResult[];
  median?: GhzResult;
  error?: string;
}

export interface GhzSection {
  /** False: ghz was not found; `note` says so (and the report says it loudly). */
  available: boolean;
  bin?: string;
  note?: string;
  rows: GhzRow[];
}

export interface TargetCheck {
  target: string;
  /** `met`, `missed`, or `n/a` (not measured in this run). */
  verdict: 'met' | 'missed' | 'n/a';
  measured: string;
}

/** Everything one run measured: what bench/results/latest.json holds. */
export interface Results {
  machine: Machine;
  plan: Plan;
  configs: Array<{ name: string; label: string }>;
  /** The raw client's best closed-loop throughput at one node, the reference for open-loop rates. */
  rawCapacity?: number;
  closed: ClosedComparison[];
  open: OpenComparison[];
  nodes3: ClosedComparison[];
  /** raw vs raw+deadline vs keel, and the rate limiter on a sub-millisecond clock (diagnostic configurations). */
  diagnose: ClosedComparison[];
  /** The open loop for some of the diagnose configurations. */
  diagnoseOpen?: OpenComparison;
  /** Issue 21's side-by-side configurations (SIDE_ORDER), closed loop at `plan.side.concurrencies`. */
  side?: ClosedComparison[];
  ghz?: GhzSection;
  scale?: ScaleResult;
  accuracy?: AccuracyRow[];
  /** Wrapper cost per call without the network. */
  pipeline?: PipelineRow[];
  /** Server-streaming throughput, full stack vs raw grpc-js, per stream shape. */
  streams?: StreamComparison[];
  /** The API gateway against direct keel calls. */
  gateway?: GatewayResult;
  /** Issue 19's resilience scenarios, every stack of bench/scenarios/stacks.ts side by side. */
  resilience?: ResilienceResult;
  targets: TargetCheck[];
  wallMs: number;
  /** The configuration whose client process ran under `--cpu-prof` (`--profile`): its figures carry the profiler's cost. */
  profiled?: string;
}
