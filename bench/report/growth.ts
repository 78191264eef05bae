import { int } from './format';

/** A per-operation cost measured at several sizes N. */
export interface CostAt {
  n: number;
  cost: number;
}

/**
 * How a per-operation cost grows with N, said from the measurements themselves (so the report cannot
 * keep a claim the code no longer earns): the cost at the largest N over the cost at the smallest,
 * and the exponent k in cost ∝ N^k between them. `ofN` adds what that means for N operations. Within 2× over the whole range does "not grow" (O(1) per
 * operation, O(N) for N of them); k ≥ 0.8 is "about linear" (O(N) each, O(N²) for N).
 */
export function growth(points: CostAt[], unit: string, ofN = true): string {
  const ok = points.filter((p) => Number.isFinite(p.cost) && p.cost > 0).sort((a, b) => a.n - b.n);
  const first = ok[0];
  const last = ok[ok.length - 1];
  if (first === undefined || last === undefined || last.n <= first.n) return 'not enough sizes measured to say how it grows';
  const times = last.cost / first.cost;
  const k = Math.log(times) / Math.log(last.n / first.n);
  const span = `${first.cost.toFixed(1)} ${unit} at ${int(first.n)} → ${last.cost.toFixed(1)} ${unit} at ${int(last.n)} (×${times.toFixed(1)} for ×${int(last.n / first.n)} the nodes)`;
  const before = ok[ok.length - 2];
  const lastStep = before !== undefined && before !== first && last.cost > 2 * before.cost
    ? `, though it rose ×${(last.cost / before.cost).toFixed(1)} from ${int(before.n)} to ${int(last.n)}` : '';
  if (times <= 2) return `does not grow over the whole range on this run: ${span}${lastStep}${ofN && !lastStep ? ', so one more costs about the same at any N and N of them cost O(N)' : ''}`;
  if (k >= 0.8) return `grows about linearly on this run: ${span}, k ≈ ${k.toFixed(2)} in cost ∝ N^k${ofN ? ', so N of them cost about O(N²)' : ''}`;
  return `grows slower than N on this run: ${span}, k ≈ ${k.toFixed(2)} in cost ∝ N^k${lastStep}`;
}
