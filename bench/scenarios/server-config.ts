// What a scenario server can be told (over IPC) and what it counts: shared by the server process and its parent.

/** How one scenario server behaves. Every field is replaced as a whole by a `configure` request. */
export interface ServerBehaviour {
  /** Time each call is in service, ms (a timer: the service waits, as an I/O-bound handler does). */
  serviceMs: number;
  /** Share [0, 1] of calls that end with UNAVAILABLE after their service time. */
  failRate: number;
  /**
   * Calls in service at once; the rest wait in a FIFO queue inside the handler, as an app with a worker pool
   * does, and a queued call whose caller has gone (cancelled, deadline passed) leaves the queue unserved.
   * 0: no pool (every call is in service at once).
   */
  workers: number;
  /** Calls arriving in [fromEpochMs, toEpochMs) take `ms` instead of serviceMs. */
  slow?: { ms: number; fromEpochMs: number; toEpochMs: number };
  /** The stack (bench/scenarios/stacks.ts) whose handler wrappers the server applies; fresh ones on every configure. */
  stack: string;
}

export const HEALTHY: ServerBehaviour = { serviceMs: 2, failRate: 0, workers: 0, stack: 'plain' };

/** Counts over a time range; each event is counted in the 100 ms bucket of when it happened. */
export interface ServerCounts {
  /** Calls that reached the server's handler stack (before its handler wrappers). */
  arrived: number;
  /** Calls whose service began (a worker took them, or at once without a pool). */
  started: number;
  /** Calls whose service ended: the work done. */
  completed: number;
  /** Of `completed`: the caller had already gone when the service ended (cancelled, or past its deadline). */
  completedForGone: number;
  /** Queued calls that left the queue unserved because their caller had gone. */
  leftQueue: number;
  /** Calls failed on purpose (failRate). */
  failedOnPurpose: number;
  /** Calls whose service began in the slow window, and so were served slowly: the fault happened. */
  slowStarted: number;
}

export const ZERO: ServerCounts = { arrived: 0, started: 0, completed: 0, completedForGone: 0, leftQueue: 0, failedOnPurpose: 0, slowStarted: 0 };

export type ServerRequest =
  | { cmd: 'configure'; behaviour: ServerBehaviour }
  /** Sets only the slow window (the handler wrappers, and their state, stay). */
  | { cmd: 'slow'; slow: ServerBehaviour['slow'] }
  | { cmd: 'counts'; fromEpochMs: number; toEpochMs: number };
