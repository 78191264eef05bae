import { CONFIGS, DIAGNOSTIC_CONFIGS, sideConfigs, type ClientConfig } from '../stacks/configs';
import { NODE_LINES } from './node-runtime';
import { FULL, QUICK, type Plan } from './plan';
import { isStreamClient, STREAM_CLIENTS } from '../loads/streams/client';
import { streamSeconds } from '../loads/streams/section';
import { gatewaySeconds } from '../loads/gateway/section';
import { resilienceSeconds } from '../scenarios/section';

export const SECTIONS = ['closed', 'open', 'nodes3', 'diagnose', 'side', 'ghz', 'scale', 'accuracy', 'pipeline', 'streams', 'gateway', 'resilience'] as const;
export type Section = (typeof SECTIONS)[number];

export interface Cli {
  plan: Plan;
  sections: Set<Section>;
  /** The configurations of the closed, open and 3-node sections (raw always among them). */
  configs: ClientConfig[];
  /** A configuration whose client process runs under `--cpu-prof` (profiles in bench/results/profiles). */
  profile: string | undefined;
  /**
   * bench/results/<output>.{json,md,svg}: `latest` (full run), `quick`, `partial` (with --only) or `profiled`
   * (with --profile); with
   * `--node`, suffixed `-node<line>` (e.g. `partial-node24`), so that each line's run is kept.
   */
  output: string;
  /** The Node line to run on (`--node 24`), installed by scripts/node-runtime; undefined: this process's Node. */
  node: string | undefined;
  /** Configurations named with `--only` (the side section runs these, with raw, instead of SIDE_ORDER). */
  named: string[];
  /** `--output <name>`: results go to <name>[-node<line>].md and .results.json, and the README is left alone. */
  kept: boolean;
}

export const USAGE = `usage: npm run bench -- [--quick] [--only <name>[,<name>…]] [--profile <configuration>] [--node <line>] [--rounds <n>] [--output <name>]
  --quick    the CI smoke test: every section, short segments, one round (about two minutes)
  --only     sections (${SECTIONS.join(', ')}) and/or configurations (${CONFIGS.map((c) => c.name).join(', ')};
             diagnostic: ${DIAGNOSTIC_CONFIGS.map((c) => c.name).join(', ')}); naming configurations runs the load sections
             with those and raw
  --profile  run that configuration's (or streaming client's: ${STREAM_CLIENTS.join(', ')}) client process under
             node --cpu-prof (bench/results/profiles/)
  --node     run the whole bench (servers and clients) on that Node line (${NODE_LINES.join(', ')}), installed into
             .tools/node by scripts/node-runtime; results go to <output>-node<line>.* and name the Node they ran on
  --rounds   rounds of every interleaved comparison (side, streams, ghz, closed loop, …) instead of the plan's
             (1–99): more rounds for a figure that must hold on a noisy machine
  --output   results go to bench/results/<name>[-node<line>].md and .results.json (never read back for the README's
             tables), and the README is left alone: a run kept for a note (e.g. --output tracing --only side,streams,ghz)`;

export function parseCli(argv: string[]): Cli {
  let quick = false;
  let only: string[] | undefined;
  let profile: string | undefined;
  let node: string | undefined;
  let named: string | undefined;
  let rounds: number | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--quick') quick = true;
    else if (arg === '--only') only = (argv[++i] ?? '').split(',').filter(Boolean);
    else if (arg === '--profile') profile = argv[++i];
    else if (arg === '--output') {
      named = argv[++i] ?? '';
      if (!/^[a-z0-9][a-z0-9-]*$/.test(named)) throw new RangeError(`--output: a name of lower-case letters, digits and dashes, got ${named || 'none'}\n${USAGE}`);
    }
    else if (arg === '--rounds') {
      rounds = Number(argv[++i]);
      if (!Number.isInteger(rounds) || rounds < 1 || rounds > 99) throw new RangeError(`--rounds: an integer from 1 to 99, got ${argv[i] ?? 'none'}\n${USAGE}`);
    }
    else if (arg === '--node') {
      node = argv[++i] ?? '';
      if (!(NODE_LINES as readonly string[]).includes(node)) throw new RangeError(`--node: ${node || 'no line'} is none of ${NODE_LINES.join(', ')}\n${USAGE}`);
    }
    else if (arg === '--help' || arg === '-h') {
      console.log(USAGE);
      process.exit(0);
    } else throw new RangeError(`unknown argument ${arg}\n${USAGE}`);
  }
  const isSection = (n: string): n is Section => (SECTIONS as readonly string[]).includes(n);
  const all = [...CONFIGS, ...DIAGNOSTIC_CONFIGS];
  const isConfig = (n: string): boolean => all.some((c) => c.name === n);
  for (const name of only ?? []) if (!isSection(name) && !isConfig(name)) throw new RangeError(`--only: unknown name ${name}\n${USAGE}`);
  if (profile !== undefined && !isConfig(profile) && !isStreamClient(profile)) throw new RangeError(`--profile: unknown configuration ${profile}\n${USAGE}`);
  const onlySections = (only ?? []).filter(isSection);
  const onlyConfigs = (only ?? []).filter(isConfig);
  const sections = new Set<Section>(onlySections.length > 0 ? onlySections : onlyConfigs.length > 0 ? ['closed', 'open', 'nodes3'] : SECTIONS);
  // `--only side,<configuration>…`: the side section runs those (with raw) instead of its own list.
  // The raw client is always measured: every figure is also given as a ratio to it.
  const configs = onlyConfigs.length > 0 ? all.filter((c) => c.name === 'raw' || onlyConfigs.includes(c.name)) : [...CONFIGS];
  // A profiled run's figures carry the profiler's cost: it never replaces a run's results.
  const base = named ?? (profile !== undefined ? 'profiled' : only !== undefined ? 'partial' : quick ? 'quick' : 'latest');
  const output = `${base}${node !== undefined ? `-node${node}` : ''}`;
  const plan = quick ? QUICK : FULL;
  return { plan: rounds === undefined ? plan : withRounds(plan, rounds), sections, configs, profile, output, node, named: onlyConfigs, kept: named !== undefined };
}

/** Planned seconds per section, for the progress bar. */
export function plannedSeconds(cli: Cli, section?: Section): number {
  const { plan, configs } = cli;
  const sections = section ? new Set([section]) : cli.sections;
  const seg = (ms: number): number => (plan.warmupMs + ms) / 1000 + 0.05;
  let s = 0;
  if (!section && (sections.has('closed') || sections.has('open') || sections.has('nodes3'))) s += configs.length * (plan.primeMs / 1000 + 0.05);
  if (sections.has('closed')) s += plan.concurrencies.length * plan.rounds * configs.length * seg(plan.durationMs);
  if (sections.has('open')) s += plan.openFractions.length * plan.fewerRounds * configs.length * (seg(plan.openDurationMs) + 0.1);
  if (sections.has('nodes3')) s += plan.nodes3Concurrencies.length * plan.fewerRounds * configs.filter((c) => c.multiNode).length * seg(plan.durationMs);
  if (sections.has('diagnose')) {
    s += plan.diagnose.concurrencies.length * plan.diagnose.rounds * 6 * seg(plan.diagnose.durationMs) + 6 * (plan.primeMs / 1000 + 0.05);
    s += plan.diagnose.rounds * plan.diagnose.openConfigs.length * (seg(plan.openDurationMs) + 0.1);
  }
  if (sections.has('side')) s += sideConfigs(cli.named).length * (plan.primeMs / 1000 + 0.05 + plan.side.concurrencies.length * plan.side.rounds * seg(plan.side.durationMs));
  if (sections.has('ghz')) s += 5 * plan.ghz.concurrencies.length * plan.ghz.rounds * (plan.ghz.durationMs / 1000 + 0.3);
  if (sections.has('scale')) s += (plan.scale.sizes.length + 1) * (plan.scale.terminalMs / 1000 + 0.3 + (plan.scale.microMs * 3) / 1000) + 3 + plan.scale.circuitBudgetMs / 1000;
  if (sections.has('accuracy')) s += plan.accuracy.rates.reduce((sum, r) => sum + Math.max(plan.accuracy.windowMs, 2000 / r) / 1000, 0);
  if (sections.has('pipeline')) s += (9 * (plan.pipelineMs + 100)) / 1000 + 1;
  if (sections.has('streams')) s += streamSeconds(plan);
  if (sections.has('gateway')) s += gatewaySeconds(plan);
  if (sections.has('resilience')) s += resilienceSeconds(plan);
  return s;
}

/** `plan` with every interleaved comparison run `rounds` times. */
function withRounds(plan: Plan, rounds: number): Plan {
  return {
    ...plan, rounds, fewerRounds: rounds,
    diagnose: { ...plan.diagnose, rounds }, ghz: { ...plan.ghz, rounds }, side: { ...plan.side, rounds },
    streams: { ...plan.streams, rounds }, gateway: { ...plan.gateway, rounds },
  };
}
