import { build, type Histogram } from 'hdr-histogram-js';
import type { Percentiles } from './protocol';

/** Highest latency tracked: 60 s in µs. Larger values are clamped (they are far past any deadline here). */
const HIGHEST_US = 60_000_000;

/** A latency histogram in microseconds, 3 significant digits (HdrHistogram). */
export function latencyHistogram(): Histogram {
  return build({ lowestDiscernibleValue: 1, highestTrackableValue: HIGHEST_US, numberOfSignificantValueDigits: 3, autoResize: false });
}

/** Records a duration given in milliseconds (as from `performance.now()` differences). */
export function recordMs(histogram: Histogram, ms: number): void {
  const us = Math.round(ms * 1000);
  histogram.recordValue(us < 1 ? 1 : us > HIGHEST_US ? HIGHEST_US : us);
}

export function percentiles(histogram: Histogram): Percentiles {
  if (histogram.totalCount === 0) return { p50: NaN, p90: NaN, p99: NaN, p999: NaN, max: NaN };
  return {
    p50: histogram.getValueAtPercentile(50),
    p90: histogram.getValueAtPercentile(90),
    p99: histogram.getValueAtPercentile(99),
    p999: histogram.getValueAtPercentile(99.9),
    max: histogram.maxValue,
  };
}
