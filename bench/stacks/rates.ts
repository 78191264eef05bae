/**
 * The "high" rate given to rate limiters in the load benchmarks: far above anything one client reaches
 * on loopback, so the limiter decides on every call but never holds one back.
 */
export const HIGH_RATE = 1_000_000;

/** The request every benchmark call sends. */
export const REQUEST = { name: 'bench' } as const;
