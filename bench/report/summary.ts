import { delta, fixed, int, ratio, table } from './format';
import type { Row } from '../orchestration/measure';
import type { Results } from './results';

const find = (rows: Row[] | undefined, config: string) => rows?.find((r) => r.config === config)?.median;

/** One line per configuration with the headline figures: the table docs/benchmarks.md shows. */
export function renderSummary(results: Results): string {
  const closed = (c: number): Row[] | undefined => results.closed.find((x) => x.concurrency === c)?.rows;
  const open = [...results.open].sort((a, b) => b.fraction - a.fraction)[0];
  const c1 = closed(1);
  const c64 = closed(64);
  const raw1 = find(c1, 'raw');
  const raw64 = find(c64, 'raw');
  const rawO = find(open?.rows, 'raw');
  const header = ['configuration', 'c=1 calls/s', 'c=1 p50 µs (Δ raw)', 'c=64 calls/s (× raw)', 'c=64 p99 µs', 'c=64 CPU µs/call (× raw)'];
  if (open) header.push(`open ${int(open.ratePerSecond)}/s p99 µs (× raw)`);
  const rows = results.configs.map(({ name }) => {
    const a = find(c1, name);
    const b = find(c64, name);
    const o = find(open?.rows, name);
    const cells = [
      name,
      int(a?.rps),
      a ? `${int(a.latencyUs.p50)} (${delta(a.latencyUs.p50, raw1?.latencyUs.p50)})` : '–',
      b ? `${int(b.rps)} (${ratio(b.rps, raw64?.rps)})` : '–',
      int(b?.latencyUs.p99),
      b ? `${fixed(b.cpuUsPerCall, 1)} (${ratio(b.cpuUsPerCall, raw64?.cpuUsPerCall)})` : '–',
    ];
    if (open) cells.push(o ? `${int(o.latencyUs.p99)} (${ratio(o.latencyUs.p99, rawO?.latencyUs.p99)})` : '–');
    return cells;
  });
  return table(header, rows);
}
