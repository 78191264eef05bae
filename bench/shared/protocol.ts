// The messages between the orchestrator (run.ts) and its client and server processes, and the shapes
// of the results they send back. Plain JSON over Node's IPC channel.

/** Where a client configuration sends its calls: a registry name for keel, addresses for the others. */
export interface Target {
  /** The registry name the servers registered under, e.g. `bench1`. */
  service: string;
  /** The localRegistry directory the servers registered in. */
  registryDir: string;
  /** The servers' `host:port`s, for clients that take addresses (raw grpc-js, nice-grpc, naive). */
  addresses: string[];
}

/** Latency percentiles in microseconds. */
export interface Percentiles {
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  max: number;
}

/** One measured segment of load from one configuration. */
export interface Segment {
  /** Calls that completed successfully inside the measured window. */
  calls: number;
  /** Calls that failed (any error), plus open-loop calls still unanswered when the drain bound ran out. */
  errors: number;
  /** Open loop only: sends skipped because `maxInFlight` calls were already outstanding. */
  dropped: number;
  /** From the first send to the last completion, ms. */
  elapsedMs: number;
  /** Successful calls per second. */
  rps: number;
  /** Latency of successful calls (open loop: from the intended send time). */
  latencyUs: Percentiles;
  /** Client process CPU time (user + system) per successful call, µs. */
  cpuUsPerCall: number;
  /** The first error's message, to tell what went wrong. */
  firstError?: string;
}

export interface ClosedJob {
  kind: 'closed';
  target: Target;
  concurrency: number;
  warmupMs: number;
  durationMs: number;
  maxCalls: number;
}

export interface OpenJob {
  kind: 'open';
  target: Target;
  ratePerSecond: number;
  warmupMs: number;
  durationMs: number;
  /** More outstanding calls than this and a send is dropped (counted), so a saturated client stays bounded. */
  maxInFlight: number;
  /** After the last send, how long to wait for outstanding calls before counting them as errors. */
  drainMs: number;
}

/** Node-selection cost, memory per node, decision rates (micro.ts, memory.ts) and the terminal path with N nodes. */
export interface ScaleJob {
  kind: 'scale';
  target: Target;
  sizes: number[];
  /** Time bound per micro measurement, ms. */
  microMs: number;
  /** Time bound per terminal-path segment, ms. */
  terminalMs: number;
  /** Time bound for making N per-node circuits before measuring picks through them, ms. */
  circuitBudgetMs: number;
  /** Sizes for filling a memoryRegistry (each register is O(N) at present: 10,000 takes seconds). */
  fillSizes: number[];
}

export interface AccuracyJob {
  kind: 'accuracy';
  rates: number[];
  windowMs: number;
}

/** Wrapper cost per call over a no-network terminal (pipeline.ts). */
export interface PipelineJob {
  kind: 'pipeline';
  /** Time bound per stack, ms. */
  ms: number;
}

/** One server stream of `count` messages of `size` payload bytes, read to its end (stream-client.ts). */
export interface StreamJob {
  kind: 'stream';
  /** keel reads `service` from the registry; raw grpc-js calls `addresses[0]`. */
  target: Target;
  count: number;
  size: number;
  /** Messages of the unmeasured stream each segment reads first (a fresh client: connection, JIT). */
  warmupCount: number;
  /** Time bound per stream: then it is cancelled and counted as incomplete. */
  maxMs: number;
}

/** One measured server stream. */
export interface StreamSegment {
  messages: number;
  /** Every message arrived and the status was OK (not cut by the time bound, no error). */
  complete: boolean;
  /** From the call to its status, ms. */
  elapsedMs: number;
  /** Messages per second. */
  rate: number;
  /** Payload megabytes (10^6) per second. */
  mbPerSecond: number;
  /** From the call to its first message, µs. */
  firstMessageUs: number;
  /** Client process CPU time (user + system) per message, ns. */
  cpuNsPerMessage: number;
  /** The server process's CPU time per message, ns (the orchestrator asks the server around the segment). */
  serverCpuNsPerMessage?: number;
  error?: string;
}

export type Job = ClosedJob | OpenJob | ScaleJob | AccuracyJob | PipelineJob | StreamJob;

export interface JobRequest {
  id: number;
  job: Job;
}

export type JobReply = { id: number; result: unknown } | { id: number; error: string };

/** What a server process sends once it is listening (and registered, for keel servers). */
export interface ServerReady {
  address: string;
}

export type HandlerWrap = 'none' | 'rateLimit' | 'tracing' | 'rateLimit+tracing';

/** How the orchestrator asks for a server process. */
export interface ServerSpec {
  /** `keel`: createServer, registered in the local registry; `grpc`: a plain grpc-js Server. */
  kind: 'keel' | 'grpc';
  /** keel only: the handler wrappers (the rate limit at the high rate). */
  wrap: HandlerWrap;
  service: string;
  registryDir: string;
}
