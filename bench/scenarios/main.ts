// Runs scenarios alone, outside the bench and the chaos suite:
//   node dist/bench/scenarios/main.js [--full] [--scenario <name>[,…]] [--stack <name>[,…]]
// Default: the short variant of every scenario with every stack. Prints the report's markdown.
import { loadavg } from 'node:os';
import { machine } from '../orchestration/machine';
import { resilienceMarkdown } from './report';
import { runSuite } from './run';
import { SCENARIOS, scenarioNamed } from './scenarios';
import { STACKS } from './stacks';

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const value = (flag: string): string[] | undefined => {
    const i = argv.indexOf(flag);
    return i < 0 ? undefined : (argv[i + 1] ?? '').split(',').filter(Boolean);
  };
  for (const a of argv) if (a.startsWith('--') && !['--full', '--scenario', '--stack'].includes(a)) throw new RangeError(`unknown flag ${a}`);
  const scenarios = value('--scenario')?.map(scenarioNamed) ?? SCENARIOS;
  // The degraded node's p99 is judged against the all-fast run's: bring it along.
  if (scenarios.some((s) => s.name === 'degraded-node') && !scenarios.some((s) => s.name === 'all-fast')) scenarios.push(scenarioNamed('all-fast'));
  const stacks = value('--stack') ?? Object.keys(STACKS);
  const loadStart = loadavg();
  const result = await runSuite({ mode: argv.includes('--full') ? 'full' : 'short', scenarios, stacks, log: (l) => process.stderr.write(`${l}\n`) });
  process.stdout.write(`${resilienceMarkdown(result, { loadStart, loadEnd: loadavg(), node: process.version, commit: machine().commit }).join('\n')}\n`);
}

main().catch((err: Error) => {
  console.error(`scenarios failed: ${err.stack ?? err.message}`);
  process.exit(1);
});
