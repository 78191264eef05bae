import type { Writable } from 'node:stream';

import { iteratorOf, type Requests } from '../stream/requests';

/**
 * Writes `requests` into a call's request stream, pulling the next one only once the transport has room
 * (`write()` returned true, or 'drain'), so an endless or huge source is never buffered ahead. Half-closes
 * when the source ends. `stop()` (the call ended) stops pulling and closes the source (`return()`, so its
 * `finally` blocks run). When the source throws, `fail(err)` is told, to cancel the call with that error.
 */
export function pumpRequests<T>(requests: Requests<T>, call: Writable, fail: (err: unknown) => void): { stop(): void } {
  const it = iteratorOf(requests);
  let stopped = false;
  let wake: (() => void) | undefined;
  const resume = (): void => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  call.on('drain', resume);

  void (async () => {
    try {
      for (;;) {
        const step = await it.next();
        if (stopped) return;
        if (step.done) {
          call.end();
          return;
        }
        if (!call.write(step.value)) {
          await new Promise<void>((resolve) => (wake = resolve));
          if (stopped) return;
        }
      }
    } catch (err) {
      if (!stopped) {
        stopped = true;
        fail(err);
      }
    }
  })();

  return {
    stop() {
      if (stopped) return;
      stopped = true;
      resume();
      call.off('drain', resume);
      // Close the source so its cleanup runs; a source that is mid-`next()` finishes that first.
      Promise.resolve(it.return?.()).catch(() => undefined);
    },
  };
}
