/** Latency bins: 0.1 ms × 1.2^i, 80 of them (up to ~3.5 min); a bin's p99 is its upper edge (±20 %). */
const BINS = 80;
const BASE_MS = 0.1;
const RATIO = 1.2;

/** One endpoint's traffic over the last minutes, bucket by bucket, oldest first: what a sparkline draws. */
export interface EndpointSeries {
  /** Each bucket's length. */
  bucketMs: number;
  /** Calls that ended in each bucket. */
  calls: number[];
  /** Of which failed. */
  errors: number[];
  /** Each bucket's 99th percentile latency (ms, to the latency bin's upper edge); null for a bucket without calls. */
  p99Ms: Array<number | null>;
}

/**
 * A fixed ring of time buckets — count, errors and a log-scale latency histogram each — so that the
 * dashboard can draw calls/s and p99 over the last `buckets × bucketMs` however many calls there were.
 * Memory is fixed (`buckets × (BINS + 2)` counters); recording is O(1) without allocation.
 */
export class SeriesRing {
  private readonly calls: Uint32Array;
  private readonly errors: Uint32Array;
  private readonly bins: Uint32Array;
  /** The bucket number (time / bucketMs) each slot holds. */
  private readonly slotOf: Float64Array;

  constructor(readonly bucketMs = 5000, readonly buckets = 60) {
    this.calls = new Uint32Array(buckets);
    this.errors = new Uint32Array(buckets);
    this.bins = new Uint32Array(buckets * BINS);
    this.slotOf = new Float64Array(buckets).fill(-1);
  }

  record(now: number, ms: number, ok: boolean): void {
    const slot = this.slot(Math.floor(now / this.bucketMs));
    this.calls[slot]!++;
    if (!ok) this.errors[slot]!++;
    const bin = ms <= BASE_MS ? 0 : Math.min(BINS - 1, Math.ceil(Math.log(ms / BASE_MS) / Math.log(RATIO)));
    this.bins[slot * BINS + bin]!++;
  }

  /** The last `buckets` buckets up to `now`'s, oldest first (empty buckets as 0 and null). */
  read(now: number): EndpointSeries {
    const current = Math.floor(now / this.bucketMs);
    const out: EndpointSeries = { bucketMs: this.bucketMs, calls: [], errors: [], p99Ms: [] };
    for (let b = current - this.buckets + 1; b <= current; b++) {
      const slot = ((b % this.buckets) + this.buckets) % this.buckets;
      const held = this.slotOf[slot] === b;
      const calls = held ? this.calls[slot]! : 0;
      out.calls.push(calls);
      out.errors.push(held ? this.errors[slot]! : 0);
      out.p99Ms.push(calls === 0 ? null : this.p99(slot, calls));
    }
    return out;
  }

  private slot(bucket: number): number {
    const slot = ((bucket % this.buckets) + this.buckets) % this.buckets;
    if (this.slotOf[slot] !== bucket) {
      // A bucket from a lap ago: start it afresh.
      this.slotOf[slot] = bucket;
      this.calls[slot] = 0;
      this.errors[slot] = 0;
      this.bins.fill(0, slot * BINS, (slot + 1) * BINS);
    }
    return slot;
  }

  private p99(slot: number, calls: number): number {
    const rank = Math.ceil(calls * 0.99);
    let seen = 0;
    for (let i = 0; i < BINS; i++) {
      seen += this.bins[slot * BINS + i]!;
      if (seen >= rank) return Math.round(BASE_MS * RATIO ** i * 1000) / 1000;
    }
    return Math.round(BASE_MS * RATIO ** (BINS - 1) * 1000) / 1000;
  }
}
