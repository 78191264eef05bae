/**
 * Successes and failures over the last `windowMs`, in `buckets` slices (Hystrix's rolling window):
 * a slice older than the window no longer counts. Pure: takes `now`, O(buckets) to total, no allocation.
 */
export class RollingCounts {
  private readonly bucketMs: number;
  private readonly epochs: Float64Array;
  private readonly successes: Uint32Array;
  private readonly failures: Uint32Array;

  constructor(readonly windowMs: number, readonly buckets: number) {
    this.bucketMs = windowMs / buckets;
    this.epochs = new Float64Array(buckets).fill(-Infinity);
    this.successes = new Uint32Array(buckets);
    this.failures = new Uint32Array(buckets);
  }

  add(failed: boolean, now: number): void {
    const epoch = Math.floor(now / this.bucketMs);
    const i = epoch % this.buckets;
    if (this.epochs[i] !== epoch) {
      this.epochs[i] = epoch;
      this.successes[i] = 0;
      this.failures[i] = 0;
    }
    if (failed) (this.failures[i] as number)++;
    else (this.successes[i] as number)++;
  }

  /** Requests and failures in the window ending at `now`. */
  totals(now: number): { requests: number; failures: number } {
    const epoch = Math.floor(now / this.bucketMs);
    let requests = 0;
    let failures = 0;
    for (let i = 0; i < this.buckets; i++) {
      if (epoch - (this.epochs[i] as number) < this.buckets) {
        failures += this.failures[i] as number;
        requests += (this.failures[i] as number) + (this.successes[i] as number);
      }
    }
    return { requests, failures };
  }

  reset(): void {
    this.epochs.fill(-Infinity);
  }
}
