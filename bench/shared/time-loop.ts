import { performance } from 'node:perf_hooks';

/**
 * Runs `body(batch)` in batches until `maxMs` have passed or `maxOps` operations are done, and returns
 * nanoseconds per operation. `body` must do `batch` operations and return something that depends on
 * them (kept in a sink, so the JIT cannot drop the work).
 */
export function nsPerOp(body: (batch: number) => unknown, maxMs: number, maxOps = 50_000_000, batch = 10_000): number {
  let sink: unknown;
  const warmEnd = performance.now() + Math.min(50, maxMs / 5);
  while (performance.now() < warmEnd) sink = body(batch);
  let ops = 0;
  const t0 = performance.now();
  const end = t0 + maxMs;
  let now = t0;
  while (now < end && ops < maxOps) {
    sink = body(batch);
    ops += batch;
    now = performance.now();
  }
  keep(sink);
  return ((now - t0) * 1e6) / ops;
}

let kept: unknown;
function keep(value: unknown): void {
  kept = value;
  if (kept === Symbol.for('never')) console.log(kept);
}
