import { setMaxListeners } from 'node:events';
import { performance } from 'node:perf_hooks';
import { rateLimit, type CallContext } from '../../src/index';
import type { AccuracyJob } from '../shared/protocol';
import { helloInfo } from '../shared/call-context';

export interface AccuracyRow {
  ratePerSecond: number;
  /** The measured window, ms (at least two token intervals, so 1/s gets a 2 s window even in --quick). */
  windowMs: number;
  /** Greedy callers kept waiting on the limiter. */
  callers: number;
  /** Calls the limiter let through within the window (burst 1: the first goes at once). */
  admitted: number;
  /** rate × window. */
  expected: number;
  /** (admitted − expected) / expected, %. Granular: ±1 call is ±1/expected. */
  countErrorPct: number;
  /** (admitted − 1) / (last admission − first admission): the rate the caller saw. */
  measuredRate: number;
  /** (measuredRate − rate) / rate, %: the accuracy figure. */
  rateErrorPct: number;
}

/**
 * Rate-limiter accuracy in real time through the `rateLimit` wrapper (burst 1, wait: true, the default
 * clock): greedy callers ask for more than the rate allows, the next call is a no-op, and we count what
 * comes through in the window. At the end the waiting calls are aborted (their tokens return).
 */
async function measure(ratePerSecond: number, windowMs: number): Promise<AccuracyRow> {
  const callers = Math.min(512, Math.max(2, Math.ceil(ratePerSecond * 0.02)));
  let admitted = 0;
  let first = 0;
  let last = 0;
  let end = Infinity;
  const next = (): Promise<unknown> => {
    const now = performance.now();
    if (now < end) {
      if (admitted === 0) first = now;
      admitted++;
      last = now;
    }
    return Promise.resolve();
  };
  const call = rateLimit(ratePerSecond).client!(next, helloInfo('accuracy'));
  const abort = new AbortController();
  setMaxListeners(callers + 10, abort.signal); // every waiting caller listens for the end of the window
  const ctx = { deadline: undefined, signal: abort.signal } as unknown as CallContext;
  const start = performance.now();
  end = start + windowMs;
  const maxCalls = Math.ceil((ratePerSecond * windowMs) / 1000) + callers + 10; // a count bound besides time
  let calls = 0;
  const greedy = async (): Promise<void> => {
    while (!abort.signal.aborted && calls < maxCalls) {
      calls++;
      await call(null, ctx).catch(() => undefined);
    }
  };
  const stop = setTimeout(() => abort.abort(), windowMs);
  const running = Promise.all(Array.from({ length: callers }, greedy));
  await new Promise((resolve) => setTimeout(resolve, windowMs + 5));
  clearTimeout(stop);
  abort.abort();
  await running;
  const expected = (ratePerSecond * windowMs) / 1000;
  const measuredRate = admitted > 1 ? ((admitted - 1) * 1000) / (last - first) : NaN;
  return {
    ratePerSecond,
    windowMs,
    callers,
    admitted,
    expected,
    countErrorPct: ((admitted - expected) / expected) * 100,
    measuredRate,
    rateErrorPct: ((measuredRate - ratePerSecond) / ratePerSecond) * 100,
  };
}

export async function accuracy(job: AccuracyJob): Promise<AccuracyRow[]> {
  const rows: AccuracyRow[] = [];
  for (const rate of job.rates) rows.push(await measure(rate, Math.max(job.windowMs, Math.ceil(2000 / rate))));
  return rows;
}
