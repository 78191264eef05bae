import { performance } from 'node:perf_hooks';

/** One call of a load run: when it was due (ms from the start), how long it took, and how it ended. */
export interface Outcome {
  at: number;
  ms: number;
  error: unknown;
}

/**
 * Calls `call` at a fixed rate for `durationMs` (open loop: call i is due at i / rate, whatever earlier calls
 * do; latency counts from when it was due), at most `maxInFlight` outstanding (a due call beyond that is
 * counted as failed). Bounded: rate × duration calls, then waits for the outstanding ones.
 */
export function openLoop(call: () => Promise<unknown>, rate: number, durationMs: number, maxInFlight = 2000,
  during?: (elapsedMs: number) => void): Promise<Outcome[]> {
  const total = Math.floor((rate * durationMs) / 1000);
  const outcomes: Outcome[] = [];
  let sent = 0;
  let inFlight = 0;
  const start = performance.now();
  return new Promise((resolve) => {
    const tick = (): void => {
      const now = performance.now();
      during?.(now - start);
      while (sent < total && start + (sent * 1000) / rate <= now) {
        const due = (sent * 1000) / rate;
        sent++;
        if (inFlight >= maxInFlight) {
          outcomes.push({ at: due, ms: 0, error: new Error('client saturated') });
          continue;
        }
        inFlight++;
        const record = (error: unknown): void => {
          inFlight--;
          outcomes.push({ at: due, ms: performance.now() - start - due, error });
          if (sent === total && inFlight === 0) resolve(outcomes);
        };
        call().then(() => record(undefined), record);
      }
      if (sent < total) setTimeout(tick, 1);
      else if (inFlight === 0) resolve(outcomes);
    };
    tick();
  });
}

/** The q-quantile of the latencies, in ms. */
export function quantile(outcomes: readonly Outcome[], q: number): number {
  const sorted = outcomes.map((o) => o.ms).sort((a, b) => a - b);
  return Math.round((sorted[Math.floor(q * (sorted.length - 1))] ?? 0) * 10) / 10;
}
