/** A small seeded PRNG (mulberry32): a failing fuzz case is replayed with `KEEL_FUZZ_SEED=<the printed seed>`. */
export function prng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The seed of this run: `KEEL_FUZZ_SEED`, else a new one (printed by the suite, so a failure can be replayed). */
export const fuzzSeed = (): number => Number(process.env.KEEL_FUZZ_SEED ?? Date.now() % 1_000_000);

/** Random values of every JSON shape a hostile writer might store where a node is expected. */
export function junkValues(random: () => number): () => unknown {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;
  const text = (n: number): string => Array.from({ length: n }, () => String.fromCharCode(Math.floor(random() * 0x2000))).join('');
  const deep = (n: number): unknown => (n === 0 ? {} : random() < 0.5 ? [deep(n - 1)] : { a: deep(n - 1) });
  const scalar = (): unknown => pick([null, true, false, 0, -1, 1e308, NaN, '', 'x', text(8), text(300), [], {}]);
  const value = (): unknown => pick([scalar, () => deep(Math.floor(random() * 200)), () => [scalar(), scalar()], () => ({ [text(4)]: scalar() })])();
  return () => {
    const node: Record<string, unknown> = {
      id: pick([value(), `n-${Math.floor(random() * 1e6)}`]),
      name: pick([value(), 'svc']),
      version: pick([value(), '1']),
      address: pick([value(), '127.0.0.1:1', '[::1]:2', 'host:99999', '', ':', 'unix:///x', text(20)]),
      metadata: pick([value(), {}, { k: 'v' }, { k: value() }]),
      endpoints: pick([undefined, value(), [value()]]),
      nodes: pick([undefined, value(), [value()]]),
    };
    for (const key of Object.keys(node)) if (random() < 0.15) delete node[key];
    return random() < 0.1 ? value() : node;
  };
}
