import { performance } from 'node:perf_hooks';
import { latencyHistogram, percentiles, recordMs } from '../shared/histogram';
import type { Segment } from '../shared/protocol';

export interface OpenLoopOptions {
  ratePerSecond: number;
  warmupMs: number;
  durationMs: number;
  /** A send due while this many calls are outstanding is dropped and counted: a saturated client stays bounded. */
  maxInFlight: number;
  /** After the last send, how long outstanding calls may take before they count as errors. */
  drainMs: number;
}

interface Tally {
  ok: number;
  errors: number;
  dropped: number;
  lastDone: number;
  firstError: string | undefined;
}

/**
 * Sends call i at `start + i / rate` whatever the earlier calls are doing, and measures each latency from
 * that intended time, so a stall shows up in every call it delays (no coordinated omission). Timers
 * fire on millisecond ticks: calls due within one tick go together, and the wait for the tick counts.
 */
function schedule(call: () => Promise<unknown>, rate: number, durationMs: number, maxInFlight: number, drainMs: number,
  record: (ms: number) => void): Promise<Tally> {
  const total = Math.max(1, Math.floor((rate * durationMs) / 1000));
  const intervalMs = 1000 / rate;
  const tally: Tally = { ok: 0, errors: 0, dropped: 0, lastDone: 0, firstError: undefined };
  let inFlight = 0;
  let sent = 0;
  const start = performance.now();
  return new Promise((resolve) => {
    let finished = false;
    let drainTimer: NodeJS.Timeout | undefined;
    const finish = (): void => {
      if (finished) return;
      finished = true;
      clearTimeout(drainTimer);
      tally.errors += inFlight; // still unanswered: they count as failures
      resolve(tally);
    };
    const settle = (): void => {
      inFlight--;
      if (sent === total && inFlight === 0) finish();
    };
    const tick = (): void => {
      const now = performance.now();
      while (sent < total && start + sent * intervalMs <= now) {
        const intended = start + sent * intervalMs;
        sent++;
        if (inFlight >= maxInFlight) {
          tally.dropped++;
          continue;
        }
        inFlight++;
        call().then(() => {
          if (finished) return;
          const done = performance.now();
          tally.ok++;
          tally.lastDone = done;
          record(done - intended);
          settle();
        }, (err: unknown) => {
          if (finished) return;
          tally.errors++;
          tally.firstError ??= err instanceof Error ? err.message : String(err);
          settle();
        });
      }
      if (sent < total) setTimeout(tick, Math.max(0, start + sent * intervalMs - performance.now()));
      else if (inFlight === 0) finish();
      else drainTimer = setTimeout(finish, drainMs);
    };
    tick();
  });
}

/** Open-loop load at a fixed request rate; see `schedule`. CPU time is the client process's over the window. */
export async function openLoop(call: () => Promise<unknown>, options: OpenLoopOptions): Promise<Segment> {
  const { ratePerSecond, warmupMs, durationMs, maxInFlight, drainMs } = options;
  await schedule(call, ratePerSecond, warmupMs, maxInFlight, drainMs, () => undefined);
  const histogram = latencyHistogram();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const tally = await schedule(call, ratePerSecond, durationMs, maxInFlight, drainMs, (ms) => recordMs(histogram, ms));
  const cpu = process.cpuUsage(cpu0);
  const elapsedMs = Math.max(durationMs, (tally.lastDone || performance.now()) - t0);
  return {
    calls: tally.ok,
    errors: tally.errors,
    dropped: tally.dropped,
    elapsedMs,
    rps: (tally.ok * 1000) / elapsedMs,
    latencyUs: percentiles(histogram),
    cpuUsPerCall: tally.ok > 0 ? (cpu.user + cpu.system) / tally.ok : NaN,
    ...(tally.firstError !== undefined ? { firstError: tally.firstError } : {}),
  };
}
