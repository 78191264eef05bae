// A scenario client: `fork('client-process.js')`. Runs one job at a time (protocol.ts), each with a fresh caller
// for the job's stack; tells its parent `{ event: { measuring: epochMs } }` when an open run's measured part
// begins (so that faults can be timed from it); exits when its parent goes.
import { performance } from 'node:perf_hooks';
import { makeCaller, type Caller } from './callers';
import { answer, emit } from './ipc';
import { openLoop } from './open-loop';
import type { ClosedJob, ClosedResult, Job, OpenJob, OpenResult } from './protocol';
import type { Target } from './servers';

/** Calls one at a time until an attempt has reached every server (the client knows the whole fleet), at most 15 s. */
async function reachAll(caller: Caller, target: Target): Promise<void> {
  const until = performance.now() + 15_000;
  while (!target.addresses.every((a) => caller.attribution.seen.has(a))) {
    if (performance.now() > until) throw new Error(`the client reached ${caller.attribution.seen.size} of ${target.addresses.length} servers within 15 s`);
    await caller.call().catch(() => undefined);
  }
}

async function open(job: OpenJob): Promise<OpenResult | null> {
  const caller = makeCaller(job.stack, job.options, job.target, job.deadlineMs);
  if (caller === undefined) return null;
  try {
    await reachAll(caller, job.target);
    const loop = { deadlineMs: job.deadlineMs, maxInFlight: job.maxInFlight, windowMs: job.windowMs };
    await openLoop(() => caller.call(), [job.warm], loop);
    const result = await openLoop(() => caller.call(), job.phases, {
      ...loop,
      onStart: (startPerf, startEpochMs) => {
        caller.attribution.measureFrom(startPerf, job.focus);
        emit({ measuring: startEpochMs });
      },
    });
    return { ...result, attempts: Object.fromEntries(caller.attribution.measured), focusAttempts: Object.fromEntries(caller.attribution.focus) };
  } finally {
    await caller.close();
  }
}

async function closed(job: ClosedJob): Promise<ClosedResult> {
  const caller = makeCaller(job.stack, {}, job.target, job.deadlineMs);
  if (caller === undefined) throw new Error(`stack ${job.stack} cannot run a closed loop`);
  try {
    await reachAll(caller, job.target);
    let completed = 0;
    let failed = 0;
    const maxCalls = Math.ceil(job.durationMs * 100); // 100,000/s: far above any fleet here, a bound all the same
    const loop = (ms: number) => async (): Promise<void> => {
      const end = performance.now() + ms;
      while (performance.now() < end && completed + failed < maxCalls) {
        await caller.call().then(() => completed++, () => failed++);
      }
    };
    await Promise.all(Array.from({ length: job.concurrency }, loop(job.warmupMs)));
    completed = 0;
    failed = 0;
    const t0 = performance.now();
    await Promise.all(Array.from({ length: job.concurrency }, loop(job.durationMs)));
    return { completed, failed, perSecond: (completed * 1000) / (performance.now() - t0) };
  } finally {
    await caller.close();
  }
}

answer((request) => {
  const job = request as Job;
  if (job.kind === 'open') return open(job);
  if (job.kind === 'closed') return closed(job);
  throw new Error(`unknown job ${JSON.stringify(job).slice(0, 80)}`);
}, () => process.exit(0));
process.send?.({ ready: true });
