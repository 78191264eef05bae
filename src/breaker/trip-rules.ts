import type { RollingCounts } from './rolling-counts';

/**
 * When a closed circuit opens: a small policy object apart from the state machine that applies it
 * (cockatiel's ConsecutiveBreaker / SamplingBreaker). Pure: told each counted outcome with `now`.
 */
export interface TripRule {
  /** Told one counted outcome (`ignore` outcomes never reach a rule); true: open the circuit now. */
  record(failed: boolean, now: number): boolean;
  /** The circuit closed again: start from nothing. */
  reset(): void;
}

/**
 * Hystrix's rule: in the rolling window, requests ≥ volumeThreshold and error% ≥ threshold. Right for an
 * endpoint (a share of calls failing); slow to eject one node of a busy fleet, whose window is full of
 * earlier successes, and blind at low traffic, below the volume.
 */
export class ErrorPercentageRule implements TripRule {
  constructor(private readonly counts: RollingCounts, private readonly thresholdPercentage: number, private readonly volumeThreshold: number) {}

  record(failed: boolean, now: number): boolean {
    if (!failed) return false; // the counts themselves are kept by the circuit (they are its statistics too)
    const { requests, failures } = this.counts.totals(now);
    return requests >= this.volumeThreshold && failures * 100 >= this.thresholdPercentage * requests;
  }

  reset(): void {}
}

/**
 * Envoy's outlier detection (`consecutive_5xx`, default 5): `n` failures in a row, whatever the traffic:
 * a dead node is ejected after its n-th failed call at 5 calls/s and at 5,000/s alike.
 */
export class ConsecutiveFailuresRule implements TripRule {
  private run = 0;

  constructor(private readonly n: number) {}

  record(failed: boolean): boolean {
    this.run = failed ? this.run + 1 : 0;
    return this.run >= this.n;
  }

  reset(): void {
    this.run = 0;
  }
}
