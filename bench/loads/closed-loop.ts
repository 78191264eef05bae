import { performance } from 'node:perf_hooks';
import { latencyHistogram, percentiles, recordMs } from '../shared/histogram';
import type { Segment } from '../shared/protocol';

export interface ClosedLoopOptions {
  /** Calls kept in flight: each worker sends its next call when the previous one settles. */
  concurrency: number;
  /** Unmeasured load first, so channels are connected and the JIT is warm. */
  warmupMs: number;
  /** The measured window; no call is sent after it ends. */
  durationMs: number;
  /** No more calls than this are sent in the measured window, whatever the time. */
  maxCalls: number;
}

/** `concurrency` workers, each calling in a loop; both bounds (time, count) hold for warm-up and window. */
async function drive(call: () => Promise<unknown>, concurrency: number, durationMs: number, maxCalls: number,
  onDone: (ms: number) => void, onError: (err: unknown) => void): Promise<void> {
  const end = performance.now() + durationMs;
  let sent = 0;
  const worker = async (): Promise<void> => {
    while (sent < maxCalls && performance.now() < end) {
      sent++;
      const start = performance.now();
      try {
        await call();
        onDone(performance.now() - start);
      } catch (err) {
        onError(err);
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
}

/**
 * Closed-loop load: throughput and latency at a fixed number of calls in flight. Latency is per call,
 * from send to settle; client CPU time is the whole process's, over the measured window.
 */
export async function closedLoop(call: () => Promise<unknown>, options: ClosedLoopOptions): Promise<Segment> {
  const { concurrency, warmupMs, durationMs, maxCalls } = options;
  let firstError: string | undefined;
  const noteError = (err: unknown): void => {
    firstError ??= err instanceof Error ? err.message : String(err);
  };
  await drive(call, concurrency, warmupMs, maxCalls, () => undefined, noteError);
  firstError = undefined;

  const histogram = latencyHistogram();
  let calls = 0;
  let errors = 0;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await drive(call, concurrency, durationMs, maxCalls, (ms) => {
    calls++;
    recordMs(histogram, ms);
  }, (err) => {
    errors++;
    noteError(err);
  });
  const elapsedMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  return {
    calls,
    errors,
    dropped: 0,
    elapsedMs,
    rps: (calls * 1000) / elapsedMs,
    latencyUs: percentiles(histogram),
    cpuUsPerCall: calls > 0 ? (cpu.user + cpu.system) / calls : NaN,
    ...(firstError !== undefined ? { firstError } : {}),
  };
}
