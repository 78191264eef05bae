// `npm run bench [-- --quick] [-- --only <section|configuration>[,…]] [-- --profile <configuration>]`
// Starts Hello servers in their own processes, drives them from one client process per configuration,
// interleaves the configurations round by round, and writes bench/results/<name>.{json,md,svg}.
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { AccuracyRow } from './in-process/accuracy';
import { renderChart } from './report/chart';
import type { ClientProcess } from './orchestration/clients';
import { parseCli, plannedSeconds, type Cli } from './orchestration/cli';
import { CONFIGS, DIAGNOSE_ORDER, sideConfigs } from './stacks/configs';
import { ROOT } from './shared/root';
import { ghzSection } from './loads/ghz/section';
import { Fleet } from './orchestration/fleet';
import { machine } from './orchestration/machine';
import { currentLine, rerunOn } from './orchestration/node-runtime';
import { interleaved, type Row } from './orchestration/measure';
import type { PipelineRow } from './in-process/pipeline';
import type { Plan } from './orchestration/plan';
import { useBenchDir } from './orchestration/processes';
import { Progress } from './orchestration/progress';
import type { ClosedJob, Target } from './shared/protocol';
import { updateReadme } from './report/readme';
import { updateNodesReadme } from './report/nodes';
import { renderMarkdown } from './report/report';
import type { Results } from './report/results';
import type { ScaleResult } from './scale/scale';
import { snapshotDist } from './orchestration/snapshot';
import { streamSection } from './loads/streams/section';
import { gatewaySection } from './loads/gateway/section';
import { resilienceSection } from './scenarios/section';
import { checkTargets } from './report/targets';

const closedJob = (plan: Plan, target: Target, concurrency: number, durationMs = plan.durationMs): ClosedJob => ({
  kind: 'closed', target, concurrency, warmupMs: plan.warmupMs, durationMs, maxCalls: Math.ceil((durationMs / 1000) * plan.maxCallsPerSecond),
});

async function measureAll(cli: Cli, fleet: Fleet, results: Results, progress: Progress): Promise<void> {
  const { plan, sections, configs } = cli;
  const seg = (ms: number): number => (plan.warmupMs + ms) / 1000 + 0.05;
  const timeout = plan.warmupMs * 2 + plan.openDurationMs * 2 + plan.openDrainMs * 2 + 30_000;
  const names = configs.map((c) => c.name);
  const load = sections.has('closed') || sections.has('open') || sections.has('nodes3');

  if (load || sections.has('diagnose') || sections.has('scale')) {
    progress.step('starting the 1-node server', 0);
    await fleet.addServers([{ kind: 'keel', wrap: 'none', service: 'bench1', registryDir: fleet.registryDir }]);
  }
  const one: Target = { service: 'bench1', registryDir: fleet.registryDir, addresses: fleet.servers.map((s) => s.address) };
  const prime = async (processes: ClientProcess[]): Promise<void> => {
    // Unmeasured load per process first, one at a time: the JIT settles before the first measured segment.
    await interleaved(processes, 1, () => ({ ...closedJob(plan, one, 16, plan.primeMs), warmupMs: 0 }), 'rps', progress,
      'priming', plan.primeMs / 1000 + 0.05, timeout);
  };

  if (load) {
    progress.step('starting the client processes', 0);
    const processes = await fleet.clientsFor(names);
    await prime(processes);
    if (sections.has('closed')) {
      for (const concurrency of plan.concurrencies) {
        const rows = await interleaved(processes, plan.rounds, () => closedJob(plan, one, concurrency), 'rps', progress,
          `closed loop c=${concurrency}`, seg(plan.durationMs), timeout);
        results.closed.push({ concurrency, rows });
      }
    }
    if (sections.has('open')) {
      const capacity = rawCapacity(results.closed) ?? (await calibrate(processes, one, plan, progress, timeout));
      results.rawCapacity = capacity;
      for (const fraction of plan.openFractions) {
        const ratePerSecond = Math.max(10, Math.round((capacity * fraction) / 10) * 10);
        const rows = await interleaved(processes, plan.fewerRounds, () => ({
          kind: 'open', target: one, ratePerSecond, warmupMs: plan.warmupMs, durationMs: plan.openDurationMs,
          maxInFlight: plan.openMaxInFlight, drainMs: plan.openDrainMs,
        }), 'p99', progress, `open loop ${ratePerSecond}/s`, seg(plan.openDurationMs) + 0.1, timeout);
        results.open.push({ fraction, ratePerSecond, rows });
      }
    }
    if (sections.has('nodes3')) {
      progress.step('starting 3 servers', 0);
      const three = await fleet.addServers([0, 1, 2].map(() => ({ kind: 'keel' as const, wrap: 'none' as const, service: 'bench3', registryDir: fleet.registryDir })));
      const target: Target = { service: 'bench3', registryDir: fleet.registryDir, addresses: three.map((s) => s.address) };
      const multi = processes.filter((p) => CONFIGS.find((c) => c.name === p.name)?.multiNode);
      for (const concurrency of plan.nodes3Concurrencies) {
        const rows = await interleaved(multi, plan.fewerRounds, () => closedJob(plan, target, concurrency), 'rps', progress,
          `3 nodes c=${concurrency}`, seg(plan.durationMs), timeout);
        results.nodes3.push({ concurrency, rows });
      }
      await fleet.removeServers(three);
    }
  }

  if (sections.has('diagnose')) {
    // Fresh processes for all of them, primed alike: a process warmed by the sections above would be
    // compared with cold ones (at concurrency 1, how warm the JIT is shows in the figures).
    await fleet.stopClients();
    progress.step('starting the diagnostic client processes', 0);
    const processes = await fleet.clientsFor(DIAGNOSE_ORDER);
    await prime(processes);
    for (const concurrency of plan.diagnose.concurrencies) {
      const rows = await interleaved(processes, plan.diagnose.rounds, () => closedJob(plan, one, concurrency, plan.diagnose.durationMs),
        'rps', progress, `diagnose c=${concurrency}`, seg(plan.diagnose.durationMs), timeout);
      results.diagnose.push({ concurrency, rows });
    }
    const capacity = results.rawCapacity ?? rawCapacity(results.diagnose);
    if (capacity !== undefined) {
      const { openFraction: fraction, openConfigs } = plan.diagnose;
      const ratePerSecond = Math.max(10, Math.round((capacity * fraction) / 10) * 10);
      const rows = await interleaved(processes.filter((p) => openConfigs.includes(p.name)), plan.diagnose.rounds, () => ({
        kind: 'open', target: one, ratePerSecond, warmupMs: plan.warmupMs, durationMs: plan.openDurationMs,
        maxInFlight: plan.openMaxInFlight, drainMs: plan.openDrainMs,
      }), 'p99', progress, `diagnose open loop ${ratePerSecond}/s`, seg(plan.openDurationMs) + 0.1, timeout);
      results.diagnoseOpen = { fraction, ratePerSecond, rows };
    }
  }
  if (sections.has('side')) {
    // Issue 21's table: fresh processes, primed alike, against the same server, interleaved round by round.
    await fleet.stopClients();
    if (fleet.servers.length === 0) await fleet.addServers([{ kind: 'keel', wrap: 'none', service: 'bench1', registryDir: fleet.registryDir }]);
    const target: Target = { service: 'bench1', registryDir: fleet.registryDir, addresses: [fleet.servers[0]!.address] };
    progress.step('starting the side-by-side client processes', 0);
    const processes = await fleet.clientsFor(sideConfigs(cli.named));
    await interleaved(processes, 1, () => ({ ...closedJob(plan, target, 16, plan.primeMs), warmupMs: 0 }), 'rps', progress,
      'priming', plan.primeMs / 1000 + 0.05, timeout);
    results.side = [];
    for (const concurrency of plan.side.concurrencies) {
      const rows = await interleaved(processes, plan.side.rounds, () => closedJob(plan, target, concurrency, plan.side.durationMs),
        'rps', progress, `side by side c=${concurrency}`, seg(plan.side.durationMs), timeout);
      results.side.push({ concurrency, rows });
    }
  }
  // The load is over: its client processes go (writing their CPU profiles, if asked).
  await fleet.stopClients();

  if (sections.has('ghz')) results.ghz = await ghzSection(plan, fleet, progress);

  if (sections.has('scale') || sections.has('accuracy')) {
    const [scaleProcess] = await fleet.clientsFor(['scale']);
    if (sections.has('scale')) {
      progress.step('scale: selection, decisions, memory, N nodes', plannedSeconds(cli, 'scale'));
      results.scale = await scaleProcess!.run<ScaleResult>({ kind: 'scale', target: one, ...plan.scale }, 300_000);
    }
    if (sections.has('accuracy')) {
      progress.step(`rate-limiter accuracy (${plan.accuracy.windowMs} ms windows)`, plannedSeconds(cli, 'accuracy'));
      results.accuracy = await scaleProcess!.run<AccuracyRow[]>({ kind: 'accuracy', ...plan.accuracy }, 120_000);
    }
  }
  if (sections.has('pipeline')) {
    // Its own process: it starts the OpenTelemetry SDK, which changes every promise in the process.
    const [pipelineProcess] = await fleet.clientsFor(['pipeline']);
    progress.step('wrapper cost without the network', plannedSeconds(cli, 'pipeline'));
    results.pipeline = await pipelineProcess!.run<PipelineRow[]>({ kind: 'pipeline', ms: plan.pipelineMs }, 120_000);
  }
  if (sections.has('streams')) results.streams = await streamSection(plan, fleet, progress);
  if (sections.has('gateway')) results.gateway = await gatewaySection(plan, fleet, progress);
  if (sections.has('resilience')) results.resilience = await resilienceSection(plan, progress);
  await fleet.stopClients();
}

/** The raw client's best median closed-loop throughput. */
function rawCapacity(closed: Results['closed']): number | undefined {
  const best = Math.max(...closed.map((c) => c.rows.find((r) => r.config === 'raw')?.median?.rps ?? 0));
  return best > 0 ? best : undefined;
}

/** Without the closed-loop section, one raw segment at concurrency 64 gives the capacity. */
async function calibrate(processes: ClientProcess[], target: Target, plan: Plan, progress: Progress, timeoutMs: number): Promise<number> {
  const raw = processes.find((p) => p.name === 'raw') as ClientProcess;
  const rows: Row[] = await interleaved([raw], 1, () => closedJob(plan, target, 64), 'rps', progress, 'calibrating on the raw client', 0, timeoutMs);
  const rps = rows[0]?.median?.rps;
  if (rps === undefined) throw new Error(`could not calibrate on the raw client: ${rows[0]?.error ?? 'no result'}`);
  return rps;
}

async function main(): Promise<void> {
  const started = performance.now();
  const cli = parseCli(process.argv.slice(2));
  if (cli.node !== undefined && cli.node !== currentLine()) process.exit(await rerunOn(cli.node, process.argv.slice(2)));
  const progress = new Progress(plannedSeconds(cli));
  const snapshot = snapshotDist();
  useBenchDir(snapshot.benchDir);
  const fleet = new Fleet(mkdtempSync(join(tmpdir(), 'keel-bench-')), cli.profile);
  let interrupted = false;
  process.once('SIGINT', () => {
    interrupted = true;
    progress.note('interrupted: stopping every process this run started');
    void fleet.stopAll(); // the run then fails where it stands; `finally` below removes the rest
    setTimeout(() => process.exit(130), 15_000).unref(); // bounded, whatever is still pending
  });
  const results: Results = {
    machine: machine(), plan: cli.plan, configs: cli.configs.map(({ name, label }) => ({ name, label })),
    closed: [], open: [], nodes3: [], diagnose: [], targets: [], wallMs: 0, ...(cli.profile !== undefined ? { profiled: cli.profile } : {}),
  };
  try {
    await measureAll(cli, fleet, results, progress);
  } catch (err) {
    if (!interrupted) throw err;
  } finally {
    await fleet.stopAll();
    snapshot.remove();
  }
  if (interrupted) process.exit(130);
  progress.finish();
  results.machine.loadEnd = loadavg();
  results.targets = checkTargets(results);
  results.wallMs = performance.now() - started;

  const markdown = renderMarkdown(results);
  const dir = join(ROOT, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  // A named run (--output) is kept for a note: its JSON is not one the README's per-Node table reads back.
  writeFileSync(join(dir, `${cli.output}${cli.kept ? '.results' : ''}.json`), `${JSON.stringify(results, null, 2)}\n`);
  writeFileSync(join(dir, `${cli.output}.md`), markdown);
  if (!cli.kept) writeFileSync(join(dir, `${cli.output}.svg`), renderChart(results));
  if (cli.output === 'latest') updateReadme(join(ROOT, 'docs', 'benchmarks.md'), results);
  if (cli.node !== undefined && !cli.kept) updateNodesReadme(join(ROOT, 'docs', 'benchmarks.md'), dir);
  process.stdout.write(markdown);
  process.stderr.write(`results: bench/results/${cli.output}.{${cli.kept ? 'results.json,md' : 'json,md,svg'}}${cli.output === 'latest' ? ', docs/benchmarks.md section updated' : ''}${cli.node !== undefined && !cli.kept ? ', docs/benchmarks.md per-Node table updated' : ''}; wall ${(results.wallMs / 1000).toFixed(1)} s
`);
}

main().catch((err: Error) => {
  console.error(`bench failed: ${err.stack ?? err.message}`);
  process.exit(1);
});
