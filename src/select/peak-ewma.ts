/**
 * One node's load as a least-loaded balancer sees it (Finagle's PeakEwma, Linkerd's and tower's peak-EWMA):
 * a latency estimate that jumps to any higher sample at once (the peak) and otherwise moves toward new
 * samples, and decays toward zero while the node is not answering, with time constant `decayMs`; times the
 * attempts in flight plus one. Pure: every method takes `now` (ms).
 *
 * Decaying toward zero is what lets a node that was slow be tried again: nobody sends it work, so nothing
 * else could ever lower its estimate. A node that is still slow answers its probe slowly and jumps back up.
 */
export class PeakEwma {
  /** Attempts sent to the node and not ended yet. */
  pending = 0;
  private estimateMs: number;
  private stamp: number;

  constructor(readonly id: string, readonly address: string, initialMs: number, now: number, private readonly decayMs: number) {
    this.estimateMs = initialMs;
    this.stamp = now;
  }

  /** The latency estimate now, decayed for the time since the last sample. */
  latencyMs(now: number): number {
    const elapsed = now - this.stamp;
    return elapsed <= 0 ? this.estimateMs : this.estimateMs * Math.exp(-elapsed / this.decayMs);
  }

  /** What choosing the node costs: its latency, times the attempts it already has plus this one. */
  cost(now: number): number {
    // The floor keeps an idle node (estimate decayed to ~0) from costing nothing however much it has in flight.
    return Math.max(this.latencyMs(now), FLOOR_MS) * (this.pending + 1);
  }

  /** A latency measured in full: the peak, or the estimate moved toward it by the time since the last sample. */
  observe(sampleMs: number, now: number): void {
    const current = this.latencyMs(now);
    if (sampleMs >= current) this.estimateMs = sampleMs;
    else {
      const w = Math.exp(-Math.max(0, now - this.stamp) / this.decayMs);
      this.estimateMs = current * w + sampleMs * (1 - w);
    }
    this.stamp = now;
  }

  /**
   * A latency known only as a lower bound (an attempt cancelled or timed out after that long, a failure's
   * penalty): it can raise the estimate, never lower it.
   */
  atLeast(sampleMs: number, now: number): void {
    if (sampleMs > this.latencyMs(now)) {
      this.estimateMs = sampleMs;
      this.stamp = now;
    }
  }
}

/** A microsecond: below anything a network call takes. */
const FLOOR_MS = 0.001;
