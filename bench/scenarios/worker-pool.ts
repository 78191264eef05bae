/**
 * N workers and a FIFO queue, as a handler with a worker pool has. `acquire` resolves true when a worker is
 * the caller's, or false when the caller gave up (`signal` aborted) while it waited; its place in the queue is
 * then gone. `release` hands the worker to the next in line. The queue is bounded (`maxQueued`): beyond it,
 * `acquire` resolves false at once, as a full pool refuses.
 */
export class WorkerPool {
  private busy = 0;
  private readonly queue = new Set<() => void>(); // insertion order: FIFO

  constructor(private readonly workers: number, private readonly maxQueued = 20_000) {}

  get queued(): number {
    return this.queue.size;
  }

  acquire(signal: AbortSignal): Promise<boolean> {
    if (signal.aborted) return Promise.resolve(false);
    if (this.workers <= 0 || this.busy < this.workers) {
      this.busy++;
      return Promise.resolve(true);
    }
    if (this.queue.size >= this.maxQueued) return Promise.resolve(false);
    return new Promise((resolve) => {
      const onAbort = (): void => {
        this.queue.delete(go);
        resolve(false);
      };
      const go = (): void => {
        signal.removeEventListener('abort', onAbort);
        resolve(true);
      };
      this.queue.add(go);
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  release(): void {
    const next = this.queue.values().next();
    if (next.done === true) {
      this.busy--;
      return;
    }
    this.queue.delete(next.value);
    next.value(); // the worker passes to the next caller without being free in between
  }
}
