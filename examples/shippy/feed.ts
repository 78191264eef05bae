import { status } from '@grpc/grpc-js';

/** Messages a watcher may fall behind by before its stream is ended (RESOURCE_EXHAUSTED), default 1000. */
export const MAX_PENDING = 1000;

/** Ends one watcher's stream. */
const END: unique symbol = Symbol('end');

/**
 * New items fanned out to every open watch stream. Each watcher has its own queue, bounded: a watcher that
 * stops reading is cut off rather than growing the server's memory. `close()` ends every stream with OK,
 * so a stopping server does not wait `graceMs` for watchers that would never end on their own.
 */
export class Feed<T> {
  private readonly watchers = new Set<(item: T | typeof END) => void>();
  private closed = false;

  constructor(private readonly maxPending = MAX_PENDING) {
    if (!Number.isInteger(maxPending) || maxPending < 1) throw new RangeError(`Feed: maxPending must be an integer >= 1; got ${maxPending}`);
  }

  /** Open streams. */
  get size(): number {
    return this.watchers.size;
  }

  publish(item: T): void {
    for (const deliver of this.watchers) deliver(item);
  }

  /** Every item published from now until `signal` aborts or `close()`; the server's generator for one watcher. */
  async *watch(signal: AbortSignal): AsyncGenerator<T> {
    if (this.closed) return;
    const queue: Array<T | typeof END> = [];
    let wake: (() => void) | undefined;
    const deliver = (item: T | typeof END): void => {
      queue.push(item);
      wake?.();
    };
    const abort = (): void => deliver(END);
    this.watchers.add(deliver);
    signal.addEventListener('abort', abort);
    try {
      for (;;) {
        if (queue.length === 0) await new Promise<void>((resolve) => (wake = resolve));
        wake = undefined;
        if (queue.length > this.maxPending) {
          throw Object.assign(new Error('watcher too slow'), {
            code: status.RESOURCE_EXHAUSTED,
            details: `the watcher fell ${queue.length} messages behind (at most ${this.maxPending})`,
          });
        }
        const item = queue.shift() as T | typeof END;
        if (item === END) return;
        yield item;
      }
    } finally {
      this.watchers.delete(deliver);
      signal.removeEventListener('abort', abort);
    }
  }

  /** Ends every open stream (after what they were already sent) and refuses new ones. */
  close(): void {
    this.closed = true;
    for (const deliver of this.watchers) deliver(END);
  }
}
