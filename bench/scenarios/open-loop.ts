import { status } from '@grpc/grpc-js';
import { performance } from 'node:perf_hooks';
import type { OpenResult, Phase, Quantiles } from './protocol';

/** At most this many calls in one run, whatever the phases ask: a run is bounded in count as well as in time. */
const MAX_CALLS = 200_000;
/** After the last call was due, outstanding calls get their deadline and this much more, then count as unanswered. */
const GRACE_MS = 2000;
const MAX_ERROR_KEYS = 30;
const RST = /RST_STREAM with code 2|Session closed with error code 2/;

/**
 * `CODE/reason` of a failure (keel's stable reason, else the details with numbers blanked, so that grpc-js's
 * `Deadline exceeded after 1.001s` is one key); the HTTP/2 resets the issue asks about are one key of their own.
 */
export function errorKey(err: unknown): string {
  const e = err as { code?: number; reason?: string; details?: string; message?: string } | undefined;
  const text = e?.details ?? e?.message ?? String(err);
  if (e?.code === 13 && RST.test(text)) return 'INTERNAL/rst_stream_2';
  const code = e?.code !== undefined ? (status[e.code] ?? String(e.code)) : '?';
  return `${code}/${e?.reason ?? text.replace(/\d+(\.\d+)?/g, 'N').split(',')[0]?.slice(0, 40)}`;
}

function quantiles(values: number[]): Quantiles {
  if (values.length === 0) return { p50: NaN, p90: NaN, p99: NaN, p999: NaN, max: NaN };
  const sorted = values.sort((a, b) => a - b);
  const at = (q: number): number => Math.round((sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] as number) * 10) / 10;
  return { p50: at(0.5), p90: at(0.9), p99: at(0.99), p999: at(0.999), max: at(1) };
}

/** What the runner hands back: everything of OpenResult that the call loop itself knows. */
export type LoopResult = Omit<OpenResult, 'attempts' | 'focusAttempts'>;

export interface LoopOptions {
  deadlineMs: number;
  maxInFlight: number;
  windowMs: number;
  /** Called once, just before the first measured call is due (performance.now() and epoch ms of that moment). */
  onStart?: (startPerf: number, startEpochMs: number) => void;
}

/**
 * Calls `call` on schedule through the phases, one after the other (open loop: call i is due at its time whatever
 * earlier calls do, and its latency counts from then, so queueing shows). A failed call counts as taking the whole
 * deadline; a call that succeeded later than its deadline (counted from its due time) is not goodput.
 */
export function openLoop(call: () => Promise<unknown>, phases: readonly Phase[], options: LoopOptions): Promise<LoopResult> {
  const due: number[] = [];
  const bounds: Array<{ name: string; fromMs: number; toMs: number; first: number; end: number }> = [];
  let offset = 0;
  for (const p of phases) {
    if (!(p.ratePerSecond > 0) || !(p.durationMs > 0)) throw new RangeError(`phase ${p.name}: ratePerSecond and durationMs must be > 0`);
    const n = Math.floor((p.ratePerSecond * p.durationMs) / 1000);
    if (due.length + n > MAX_CALLS) throw new RangeError(`phases ask for more than ${MAX_CALLS} calls`);
    const first = due.length;
    for (let k = 0; k < n; k++) due.push(offset + (k * 1000) / p.ratePerSecond);
    bounds.push({ name: p.name, fromMs: offset, toMs: offset + p.durationMs, first, end: due.length });
    offset += p.durationMs;
  }
  const total = due.length;
  const latency = new Float64Array(total).fill(NaN);
  const ok = new Uint8Array(total);
  const lag: number[] = [];
  const errors = new Map<string, number>();
  let saturated = 0;
  let sent = 0;
  let settled = 0;
  let inFlight = 0;
  const fail = (key: string): void => {
    const k = errors.has(key) || errors.size < MAX_ERROR_KEYS ? key : 'other';
    errors.set(k, (errors.get(k) ?? 0) + 1);
  };

  return new Promise((resolve) => {
    const start = performance.now() + 5;
    const startEpochMs = Date.now() + 5;
    const cpu0 = process.cpuUsage();
    let finished = false;
    let bound: NodeJS.Timeout | undefined;
    const finish = (): void => {
      if (finished) return;
      finished = true;
      clearTimeout(bound);
      resolve(summarize());
    };
    const tick = (): void => {
      const now = performance.now();
      while (sent < total && start + (due[sent] as number) <= now) {
        const i = sent++;
        lag.push(now - start - (due[i] as number));
        if (inFlight >= options.maxInFlight) {
          saturated++;
          fail('client saturated');
          latency[i] = options.deadlineMs;
          settled++;
          continue;
        }
        inFlight++;
        const done = (error: unknown, failed: boolean): void => {
          inFlight--;
          settled++;
          if (finished) return;
          const ms = performance.now() - start - (due[i] as number);
          if (failed) {
            fail(errorKey(error));
            latency[i] = Math.max(ms, options.deadlineMs);
          } else {
            ok[i] = 1;
            latency[i] = ms;
          }
          if (sent === total && settled === total) finish();
        };
        call().then(() => done(undefined, false), (err: unknown) => done(err, true));
      }
      if (sent < total) setTimeout(tick, 1);
      else if (settled === total) finish();
      else bound ??= setTimeout(finish, options.deadlineMs + GRACE_MS);
    };
    options.onStart?.(start, startEpochMs);
    setTimeout(tick, 5);

    function summarize(): LoopResult {
      const cpu = process.cpuUsage(cpu0);
      let unanswered = 0;
      for (let i = 0; i < total; i++) {
        if (Number.isNaN(latency[i])) {
          unanswered++;
          fail('unanswered');
          latency[i] = options.deadlineMs;
        }
      }
      const inTime = (i: number): boolean => ok[i] === 1 && (latency[i] as number) <= options.deadlineMs;
      const all: number[] = [];
      const good: number[] = [];
      let okCount = 0;
      let okInDeadline = 0;
      for (let i = 0; i < total; i++) {
        all.push(latency[i] as number);
        if (ok[i] === 1) {
          okCount++;
          good.push(latency[i] as number);
        }
        if (inTime(i)) okInDeadline++;
      }
      const windows: LoopResult['windows'] = [];
      for (let i = 0; i < total; i++) {
        const w = Math.floor((due[i] as number) / options.windowMs);
        while (windows.length <= w) windows.push({ atMs: windows.length * options.windowMs, calls: 0, okInDeadline: 0 });
        const win = windows[w] as LoopResult['windows'][number];
        win.calls++;
        if (inTime(i)) win.okInDeadline++;
      }
      const phaseResults = bounds.map((b) => {
        const idx = Array.from({ length: b.end - b.first }, (_, k) => b.first + k);
        return {
          name: b.name, fromMs: b.fromMs, toMs: b.toMs, calls: idx.length, okInDeadline: idx.filter(inTime).length,
          p99Ms: quantiles(idx.map((i) => latency[i] as number)).p99, okP99Ms: quantiles(idx.filter((i) => ok[i] === 1).map((i) => latency[i] as number)).p99,
        };
      });
      const rst = errors.get('INTERNAL/rst_stream_2') ?? 0;
      const lagQ = quantiles(lag);
      return {
        startEpochMs, calls: total, ok: okCount, okInDeadline, saturated, unanswered, errors: Object.fromEntries(errors), rst,
        latencyMs: quantiles(all), okLatencyMs: quantiles(good), phases: phaseResults, windows, sendLagMs: { p99: lagQ.p99, max: lagQ.max },
        cpuUsPerCall: total > 0 ? (cpu.user + cpu.system) / total : NaN,
      };
    }
  });
}
