import { Backoff } from '../../backoff';
import { Pause } from '../../time/pause';

/**
 * One Consul blocking query kept running (https://developer.hashicorp.com/consul/api-docs/features/blocking):
 * each request carries the last `X-Consul-Index` and `wait`, so Consul answers when something changed or
 * the wait ran out. The index is reset when it goes backwards (a Consul restart or snapshot restore) and
 * kept at least 1; failures back off exponentially with jitter, and the query after a failure starts
 * from index 0 — a Consul that came back may count from lower, and blocking on the old index would park
 * the watch for the whole wait; a Consul that answers at once with an unchanged index is not polled
 * faster than `minIntervalMs`. Results go to `onResult`, failures only
 * delay the next try: a watcher keeps its last list while Consul is away.
 */
export interface BlockingWatchOptions {
  /** Sends one query with `index` (0: answer at once); resolves the body and the new index. */
  query(index: bigint, signal: AbortSignal): Promise<{ body: unknown; index: bigint | undefined }>;
  onResult(body: unknown): void;
  onError?(err: Error): void;
  backoffMinMs: number;
  backoffMaxMs: number;
  minIntervalMs: number;
}

export class BlockingWatch {
  private readonly backoff: Backoff;
  private index = 0n;
  private failures = 0;
  private stopped = false;
  private readonly controller = new AbortController();
  private readonly pause = new Pause();

  constructor(private readonly options: BlockingWatchOptions) {
    // keel's one backoff policy; 'equal' jitter never retries at once (half to all of the ceiling).
    this.backoff = new Backoff({ initialMs: options.backoffMinMs, maxMs: options.backoffMaxMs, jitter: 'equal' }, Math.random, 'consulRegistry');
    void this.loop();
  }

  private async loop(): Promise<void> {
    while (!this.stopped) {
      const started = Date.now();
      const previous = this.index;
      try {
        const { body, index } = await this.options.query(this.index, this.controller.signal);
        if (this.stopped) return;
        if (index === undefined) throw new Error('Consul sent no X-Consul-Index: blocking queries are not supported here');
        this.index = index < previous ? 0n : index < 1n ? 1n : index;
        this.failures = 0;
        this.options.onResult(body);
        if (index === previous && Date.now() - started < this.options.minIntervalMs) await this.pause.for(this.options.minIntervalMs);
      } catch (err) {
        if (this.stopped) return;
        this.options.onError?.(err as Error);
        this.index = 0n;
        this.failures++;
        await this.pause.for(this.backoff.delayMs(this.failures));
      }
    }
  }

  stop(): void {
    this.stopped = true;
    this.controller.abort();
    this.pause.stop();
  }
}
