// The bench's `resilience` section: issue 19's scenarios with every stack of stacks.ts side by side
// (`--quick`: the short durations, as `npm test` runs them; a full run: the issue's).
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { benchEntryDir } from '../orchestration/processes';
import type { Plan } from '../orchestration/plan';
import type { Progress } from '../orchestration/progress';
import { resilienceMarkdown } from './report';
import { runSuite, type SuiteResult } from './run';
import { CAPACITY, SCENARIOS } from './scenarios';
import { STACKS } from './stacks';

export interface ResilienceResult extends Partial<SuiteResult> {
  node: string;
  loadStart: number[];
  loadEnd: number[];
  /** Set when the section failed as a whole (a process died, a job timed out). */
  error?: string;
}

/** Seconds per run besides its load: the warm-up's reach of every server, the counts, the reconfiguration. */
const OVERHEAD_S = 1;

/** Planned seconds, for the progress bar. */
export function resilienceSeconds(plan: Plan): number {
  const mode = plan.resilience.mode;
  const stacks = Object.keys(STACKS).length;
  const capacity = 2000; // a guess, only for the plan's durations
  const perStack = SCENARIOS.reduce((s, sc) => s + (sc.warm(mode, capacity).durationMs + sc.phases(mode, capacity).reduce((a, p) => a + p.durationMs, 0)) / 1000 + OVERHEAD_S, 0);
  return 3 + CAPACITY.durationMs(mode) / 1000 + stacks * perStack;
}

export async function resilienceSection(plan: Plan, progress: Progress): Promise<ResilienceResult> {
  const stacks = Object.keys(STACKS);
  const loadStart = loadavg();
  const perRun = resilienceSeconds(plan) / Math.max(1, SCENARIOS.length * stacks.length);
  try {
    const result = await runSuite({
      mode: plan.resilience.mode, scenarios: SCENARIOS, stacks, dir: join(benchEntryDir(), '..', 'scenarios'),
      log: (line) => progress.step(`resilience: ${line}`, line.includes(' · ') ? perRun : 0),
    });
    return { ...result, node: process.version, loadStart, loadEnd: loadavg() };
  } catch (err) {
    const error = (err as Error).message.split('\n')[0] ?? 'failed';
    progress.note(`! resilience: ${error}`);
    return { node: process.version, loadStart, loadEnd: loadavg(), error };
  }
}

export function resilienceReport(r: ResilienceResult): string[] {
  if (r.error !== undefined || r.figures === undefined) return ['## Resilience scenarios (issue 19)', '', `Failed: ${r.error ?? 'no result'}`];
  return resilienceMarkdown(r as SuiteResult, r);
}
