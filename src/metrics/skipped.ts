import type { Counter, Meter } from '@opentelemetry/api';

/** One counter per meter: every server on one meter shares it. */
const byMeter = new WeakMap<Meter, Counter>();

/**
 * `keel.server.skipped`: calls a server answered without running their handler, because the caller had
 * gone (cancelled, or its deadline passed) before the handler would start — typically while the call waited
 * in a queue. Attributes as `rpc.server.call.duration`'s, with `keel.reason` `deadline` or `cancelled`.
 */
export function skippedCounter(meter: Meter): Counter {
  let counter = byMeter.get(meter);
  if (counter === undefined) {
    counter = meter.createCounter('keel.server.skipped', {
      description: 'Calls whose handler was never run because their caller had gone (cancelled, or past its deadline) before it started',
    });
    byMeter.set(meter, counter);
  }
  return counter;
}
