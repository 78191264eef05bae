import { iteratorOf, type Requests } from '../stream/requests';

/**
 * The request stream of a client-streaming or bidi call, readable by several attempts: each attempt's
 * iterable starts from the first message. Messages are pulled from the caller's source once, and kept
 * for later attempts up to `limit`; past that the buffer is dropped and `replayable` turns false (no
 * further attempt can be started, gRPC A6's retry buffer limit). An attempt's pump stopping does not
 * close the source (a retry may still read it): the committed attempt's does, or `close()` when the call failed.
 */
export class Replay<T> {
  private readonly buffer: T[] = [];
  /** Messages pulled from the source so far (the buffer holds them all while `replayable`). */
  private pulled = 0;
  private done = false;
  private failed: { error: unknown } | undefined;
  private pending: Promise<void> | undefined;
  private source: AsyncIterator<T> | Iterator<T> | undefined;
  private closed = false;
  private winner: AsyncIterable<T> | undefined;
  private readonly stopped = new WeakSet<AsyncIterable<T>>();
  /** The newest message, for the one reader that goes on once the buffer is gone. */
  private last: T | undefined;
  /** False once more than `limit` messages were read: no new attempt can replay the stream. */
  replayable = true;

  constructor(private readonly requests: Requests<T>, private readonly limit: number) {}

  /** A fresh reading of the stream from its first message, for one attempt. */
  attempt(): AsyncIterable<T> {
    let index = 0;
    const next = async (): Promise<IteratorResult<T>> => {
      for (;;) {
        if (index < this.pulled) {
          if (index < this.buffer.length) return { value: this.buffer[index++] as T, done: false };
          // Past the buffer: only a reader that is caught up gets the newest message; one behind cannot replay.
          if (index === this.pulled - 1) {
            index++;
            return { value: this.last as T, done: false };
          }
          throw new Error(`the request stream went past the ${this.limit} messages kept for retries`);
        }
        if (this.failed !== undefined) throw this.failed.error;
        if (this.done || this.closed) return { value: undefined, done: true };
        await this.pull();
      }
    };
    const reader: AsyncIterable<T> = {
      [Symbol.asyncIterator]: () => ({
        next,
        // An attempt's end does not end the source while another attempt may read it: only the committed
        // attempt's does (its pump stops when the call ends); otherwise `close()` decides.
        return: async () => {
          this.stopped.add(reader);
          if (this.winner === reader) this.close();
          return { value: undefined, done: true };
        },
      }),
    };
    return reader;
  }

  /** The attempt that read with `reader` is the call's from now on: when it stops reading, the source is closed. */
  commit(reader: AsyncIterable<T>): void {
    this.winner = reader;
    if (this.stopped.has(reader)) this.close(); // its call ended before it was known to be the one
  }

  /** Closes the caller's source (its `finally` blocks run): the call is decided, nothing will read on. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (!this.done && this.source !== undefined) Promise.resolve(this.source.return?.()).catch(() => undefined);
  }

  /** One message from the source, shared by every reader waiting for it. */
  private pull(): Promise<void> {
    return (this.pending ??= (async () => {
      try {
        this.source ??= iteratorOf(this.requests);
        const step = await this.source.next();
        if (step.done) this.done = true;
        else {
          this.pulled++;
          if (this.replayable && this.pulled > this.limit) {
            this.replayable = false;
            this.buffer.length = 0;
          }
          if (this.replayable) this.buffer.push(step.value);
          this.last = step.value;
        }
      } catch (err) {
        this.failed = { error: err };
      } finally {
        this.pending = undefined;
      }
    })());
  }
}
