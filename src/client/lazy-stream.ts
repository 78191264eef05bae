/**
 * What a server-streaming or bidi client method returns: an async iterable that starts the call when the
 * caller first asks for a message (like an async generator), so a stream nobody reads never opens a call.
 * Errors in starting it (no nodes, a refused call, a bad option) are thrown by that first `next()`.
 */
export class LazyStream<T> implements AsyncIterableIterator<T> {
  private inner: AsyncIterator<T> | undefined;
  private opening: Promise<AsyncIterator<T>> | undefined;
  private closed = false;

  constructor(private readonly start: () => Promise<AsyncIterable<T>>) {}

  [Symbol.asyncIterator](): AsyncIterableIterator<T> {
    return this;
  }

  private open(): Promise<AsyncIterator<T>> {
    return (this.opening ??= this.start().then((stream) => (this.inner = stream[Symbol.asyncIterator]())));
  }

  next(): Promise<IteratorResult<T>> {
    if (this.inner !== undefined) return this.inner.next();
    if (this.closed) return Promise.resolve({ value: undefined, done: true });
    return this.open().then((it) => it.next());
  }

  /** Leaving the loop: cancels a started call; a call never started is never started. */
  async return(value?: unknown): Promise<IteratorResult<T>> {
    this.closed = true;
    if (this.opening === undefined) return { value: undefined, done: true };
    const it = await this.opening.catch(() => undefined);
    await it?.return?.(value);
    return { value: undefined, done: true };
  }
}
