import type { ClientProcess } from './clients';
import type { Progress } from './progress';
import type { Job, Segment } from '../shared/protocol';

/** One configuration's segments in one comparison, and the median round that the report shows. */
export interface Row {
  config: string;
  rounds: Segment[];
  median?: Segment;
  /** Set when a segment failed outright (the process died, the job timed out). */
  error?: string;
}

/** The median round: by throughput (closed loop), or by p99 latency (open loop, where the rate is fixed). */
export function medianOf(rounds: Segment[], by: 'rps' | 'p99'): Segment | undefined {
  if (rounds.length === 0) return undefined;
  const key = (s: Segment): number => (by === 'rps' ? s.rps : Number.isNaN(s.latencyUs.p99) ? Infinity : s.latencyUs.p99);
  const sorted = [...rounds].sort((a, b) => key(a) - key(b));
  return sorted[Math.floor((sorted.length - 1) / 2)];
}

/**
 * Runs `job` on every process, one at a time, interleaved (A B C … A B C …) for `rounds` rounds, each
 * round in a rotated order, so drift on a shared machine falls on every configuration alike.
 */
export async function interleaved(processes: ClientProcess[], rounds: number, job: () => Job, by: 'rps' | 'p99',
  progress: Progress, label: string, weightS: number, timeoutMs: number): Promise<Row[]> {
  const rows = processes.map((p): Row => ({ config: p.name, rounds: [] }));
  for (let round = 0; round < rounds; round++) {
    for (let k = 0; k < processes.length; k++) {
      const i = (k + round) % processes.length;
      const process = processes[i] as ClientProcess;
      const row = rows[i] as Row;
      progress.step(`${label} ${process.name} (round ${round + 1}/${rounds})`, weightS);
      if (row.error !== undefined) continue;
      try {
        row.rounds.push(await process.run<Segment>(job(), timeoutMs));
      } catch (err) {
        row.error = (err as Error).message.split('\n')[0];
        progress.note(`! ${label} ${process.name}: ${row.error}`);
      }
    }
  }
  for (const row of rows) {
    const median = medianOf(row.rounds, by);
    if (median !== undefined) row.median = median;
  }
  return rows;
}
