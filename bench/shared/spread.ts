import { fixed } from '../report/format';

/** A figure over runs or rounds: its median and min–max. */
export interface Spread {
  median: number;
  min: number;
  max: number;
  n: number;
}

/** The median and range of the finite `values`; undefined when there are none. */
export function spreadOf(values: number[]): Spread | undefined {
  const v = values.filter(Number.isFinite).sort((a, b) => a - b);
  if (v.length === 0) return undefined;
  const mid = Math.floor(v.length / 2);
  const median = v.length % 2 ? (v[mid] as number) : ((v[mid - 1] as number) + (v[mid] as number)) / 2;
  return { median, min: v[0] as number, max: v[v.length - 1] as number, n: v.length };
}

/** `median (min–max)`, or the median alone for one value; – for none. */
export const showSpread = (s: Spread | undefined, digits = 0): string =>
  (s === undefined ? '–' : s.n > 1 ? `${fixed(s.median, digits)} (${fixed(s.min, digits)}–${fixed(s.max, digits)})` : fixed(s.median, digits));
