import type { Readable } from 'node:stream';

/** Messages held before the source is paused, and the level at which it resumes. */
const HIGH_WATER = 16;
const LOW_WATER = 4;

/**
 * A grpc-js message stream (a Node Readable in object mode) as an async iterator. At most HIGH_WATER
 * messages wait here; beyond that the source is paused, which stops grpc-js reading from HTTP/2, so a slow
 * consumer holds the sender back through flow control instead of growing memory. Messages that arrived
 * before an error are handed out before the error is thrown. Unlike a Readable's own iterator, leaving
 * the loop early does not destroy the source: what that means is the subclass's to say.
 */
export abstract class MessageQueue<T> implements AsyncIterableIterator<T> {
  private readonly queue: T[] = [];
  private waiter: { resolve: (step: IteratorResult<T>) => void; reject: (err: unknown) => void } | undefined;
  private paused = false;
  /** The source ended: every message has been queued. */
  protected drained = false;
  /** What iteration throws once the queue is empty; undefined: it completes. */
  protected error: unknown = undefined;

  constructor(protected readonly source: Readable) {
    source.on('data', (message: T) => {
      const waiter = this.waiter;
      if (waiter !== undefined) {
        this.waiter = undefined;
        waiter.resolve({ value: message, done: false });
        return;
      }
      this.queue.push(message);
      if (this.queue.length >= HIGH_WATER && !this.paused) {
        this.paused = true;
        source.pause();
      }
    });
    source.on('end', () => this.sourceEnded());
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<T> {
    return this;
  }

  next(): Promise<IteratorResult<T>> {
    if (this.queue.length > 0) {
      const value = this.queue.shift() as T;
      if (this.paused && this.queue.length <= LOW_WATER) this.flow();
      return Promise.resolve({ value, done: false });
    }
    if (this.finished()) return this.error === undefined ? Promise.resolve({ value: undefined, done: true }) : Promise.reject(this.error);
    return new Promise((resolve, reject) => (this.waiter = { resolve, reject }));
  }

  abstract return(): Promise<IteratorResult<T>>;

  /** The source ended: every message is queued. */
  protected sourceEnded(): void {
    this.drained = true;
    this.wake();
  }

  /** Whether iteration is over once the queue is empty. */
  protected finished(): boolean {
    return this.drained;
  }

  /** Lets paused messages flow in again. */
  protected flow(): void {
    if (!this.paused) return;
    this.paused = false;
    this.source.resume();
  }

  /** Re-checks `finished()` for a consumer waiting on an empty queue. */
  protected wake(): void {
    const waiter = this.waiter;
    if (waiter === undefined || this.queue.length > 0 || !this.finished()) return;
    this.waiter = undefined;
    if (this.error === undefined) waiter.resolve({ value: undefined, done: true });
    else waiter.reject(this.error);
  }
}
