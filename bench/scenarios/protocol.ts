// The jobs a scenario client process runs and what it sends back (plain JSON over IPC).
import type { Target } from './servers';
import type { StackOptions } from './stacks';

/** Calls at a fixed rate for a while; consecutive phases make a load that changes (overload, then the drop). */
export interface Phase {
  name: string;
  ratePerSecond: number;
  durationMs: number;
}

/** An open-loop run: calls on schedule whatever earlier calls do, latency from each call's intended start. */
export interface OpenJob {
  kind: 'open';
  stack: string;
  options: StackOptions;
  target: Target;
  /** Each call's deadline (the client's timeoutMs). A call that fails counts as taking this long. */
  deadlineMs: number;
  /** Unmeasured load once the client has reached every server (connections, JIT, the stack's state). */
  warm: Phase;
  phases: Phase[];
  /** Attempts started in [fromMs, toMs) of the measured run are also counted apart (a fault's window). */
  focus?: { fromMs: number; toMs: number };
  /** A call due while this many are outstanding is not sent, and counts as failed (`client saturated`). */
  maxInFlight: number;
  /** The width of the goodput timeline's windows (by due time). */
  windowMs: number;
}

/** A closed loop that measures the fleet's capacity: `concurrency` callers, each calling again when answered. */
export interface ClosedJob {
  kind: 'closed';
  stack: string;
  target: Target;
  deadlineMs: number;
  concurrency: number;
  /** Unmeasured first (connections, JIT). */
  warmupMs: number;
  durationMs: number;
}

export type Job = OpenJob | ClosedJob;

export interface Quantiles {
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  max: number;
}

export interface PhaseResult {
  name: string;
  /** ms from the start of the measured run. */
  fromMs: number;
  toMs: number;
  calls: number;
  okInDeadline: number;
  /** All calls, a failure counted at the deadline, ms. */
  p99Ms: number;
  /** Successful calls only, ms. */
  okP99Ms: number;
}

export interface OpenResult {
  /** Epoch ms when the measured run started (its first call was due). */
  startEpochMs: number;
  calls: number;
  /** Calls that succeeded, and of those the ones that succeeded within their deadline (from their due time). */
  ok: number;
  okInDeadline: number;
  /** Not sent (maxInFlight outstanding) / never answered within deadline + grace. */
  saturated: number;
  unanswered: number;
  /** Failed calls by `code/reason` (`INTERNAL/rst_stream_2` apart), at most 30 keys. */
  errors: Record<string, number>;
  /** Failed calls with INTERNAL `Received RST_STREAM with code 2` or `Session closed with error code 2`. */
  rst: number;
  latencyMs: Quantiles;
  okLatencyMs: Quantiles;
  /** Attempts by node address (the node the attempt went to, as the innermost layer saw it), whole run / focus window. */
  attempts: Record<string, number>;
  focusAttempts: Record<string, number>;
  phases: PhaseResult[];
  /** Per window of due times: calls due and succeeded within deadline. */
  windows: Array<{ atMs: number; calls: number; okInDeadline: number }>;
  /** How late calls were sent compared with when they were due (a starved client shows here), ms. */
  sendLagMs: { p99: number; max: number };
  /** The client process's CPU time (user + system) over the measured run, per call, µs. */
  cpuUsPerCall: number;
}

export interface ClosedResult {
  completed: number;
  failed: number;
  perSecond: number;
}
