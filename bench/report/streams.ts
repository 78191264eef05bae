import { fixed, int, ratio, table } from './format';
import type { Plan } from '../orchestration/plan';
import { STREAM_LABELS } from '../loads/streams/client';
import type { StreamComparison, StreamRow } from '../loads/streams/section';

const rawOf = (c: StreamComparison) => c.rows.find((r) => r.config === 'stream-raw')?.median;
const fullOf = (c: StreamComparison) => c.rows.find((r) => r.config === 'stream-full')?.median;

/** The full stack's messages/s over raw's, round by round (both ran in each round). */
export function perRoundRatios(c: StreamComparison): number[] {
  const full = c.rows.find((r) => r.config === 'stream-full')?.rounds ?? [];
  const raw = c.rows.find((r) => r.config === 'stream-raw')?.rounds ?? [];
  return Array.from({ length: Math.min(full.length, raw.length) }, (_, i) => full[i]!.rate / raw[i]!.rate);
}

/** `full 123,456 vs raw 130,000 messages/s = 95.0%`, the headline of one stream shape. */
export function streamHeadline(c: StreamComparison): string | undefined {
  const raw = rawOf(c);
  const full = fullOf(c);
  if (raw === undefined || full === undefined) return undefined;
  const rounds = perRoundRatios(c);
  return `${int(full.rate)} vs ${int(raw.rate)} messages/s = ${((full.rate / raw.rate) * 100).toFixed(1)}%` +
    (rounds.length > 1 ? `; per round ${rounds.map((x) => `×${x.toFixed(2)}`).join(' ')}` : '');
}

function spread(row: StreamRow): string {
  if (row.rounds.length < 2) return '';
  const rates = row.rounds.map((s) => s.rate);
  return `${int(Math.min(...rates))}–${int(Math.max(...rates))}`;
}

export function streamsReport(comparisons: StreamComparison[], plan: Plan): string[] {
  const out = ['## Server streaming', '',
    `One server stream per segment, read to its end as fast as the client can; ${plan.streams.rounds} round(s), the three clients interleaved (rotated order), median round shown (by messages/s). Each segment is a fresh client that first reads a short unmeasured stream; a stream still running after ${int(plan.streams.maxMs)} ms is cancelled (then "complete" says no). Messages/s is over the whole call, from the call to its status. Client CPU is the client process's per message; server CPU the server process's per message (asked for around the segment, warm-up stream included).`, ''];
  for (const c of comparisons) {
    const raw = rawOf(c);
    out.push(`### ${c.variant.name}: ${int(c.variant.count)} messages of ${int(c.variant.size)} payload bytes`, '',
      table(['client', 'messages/s', '× raw', 'rounds min–max', 'MB/s', 'first message µs', 'client CPU ns/msg', '× raw', 'server CPU ns/msg', '× raw', 'complete'],
        c.rows.map((r) => {
          const m = r.median;
          if (m === undefined) return [r.config, `failed: ${r.error ?? 'no result'}`, '', '', '', '', '', '', '', '', ''];
          return [r.config, int(m.rate), ratio(m.rate, raw?.rate), spread(r), fixed(m.mbPerSecond, 1), int(m.firstMessageUs),
            int(m.cpuNsPerMessage), ratio(m.cpuNsPerMessage, raw?.cpuNsPerMessage), int(m.serverCpuNsPerMessage),
            ratio(m.serverCpuNsPerMessage, raw?.serverCpuNsPerMessage), r.rounds.every((s) => s.complete) ? 'yes' : `**no** (${r.rounds.find((s) => s.error)?.error ?? 'cut by the time bound'})`];
        })), '');
    const headline = streamHeadline(c);
    if (headline) out.push(`Full stack vs raw: ${headline}.`, '');
  }
  out.push(table(['client', 'what'], Object.entries(STREAM_LABELS).map(([name, label]) => [name, label])));
  return out;
}
