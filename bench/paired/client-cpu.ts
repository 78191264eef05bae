// Paired, same-process comparison of the untraced clients: `node dist/bench/paired/client-cpu.js [rounds]`
// (on another Node line: `$(scripts/node-runtime 24) dist/bench/paired/client-cpu.js`). Prints a markdown table.
//
// Why: in the side section every configuration has its own process, so a 2–3 % difference drowns in what differs
// between processes and between moments on a shared machine (rounds range ±10 %). Here the configurations share
// one process, one server and the same seconds: they take turns in 1 s phases, round by round in rotated order,
// and each round's figures are divided by that round's raw client's. The medians of those paired ratios are the
// figures for issue 21's "no tracing() ≥ 0.98 of raw" target.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { closedLoop } from '../loads/closed-loop';
import { machine } from '../orchestration/machine';
import { startServer } from '../orchestration/servers';
import { configNamed, type BenchClient } from '../stacks/configs';
import { activateContextManager } from '../stacks/context-manager';
import type { Segment } from '../shared/protocol';
import { showSpread, spreadOf } from '../shared/spread';

/** Raw grpc-js first (the base of every ratio), then what takes keel's untraced cost apart. */
const NAMES = ['raw', 'raw-nochannelz', 'raw+deadline', 'keel-nodeadline', 'full-notrace-nodeadline', 'full-notrace'];
const PHASE = { concurrency: 64, warmupMs: 150, durationMs: 1000, maxCalls: 50_000 };

async function main(): Promise<void> {
  const rounds = Number(process.argv[2] ?? 15);
  if (!Number.isInteger(rounds) || rounds < 1 || rounds > 99) throw new RangeError(`rounds: an integer from 1 to 99, got ${process.argv[2]}`);
  activateContextManager(); // as the side section's untraced clients have it: an app with tracing set up
  const registryDir = mkdtempSync(join(tmpdir(), 'keel-paired-'));
  const server = await startServer({ kind: 'keel', wrap: 'none', service: 'paired', registryDir });
  const target = { service: 'paired', registryDir, addresses: [server.address] };
  const run = machine();
  const seen: Record<string, Segment[]> = Object.fromEntries(NAMES.map((n) => [n, []]));
  try {
    for (const name of NAMES) await phase(name, { ...PHASE, durationMs: 300 }); // prime: JIT, first connections
    for (let round = 0; round < rounds; round++) {
      const order = NAMES.map((_, i) => NAMES[(i + round) % NAMES.length] as string);
      for (const name of order) (seen[name] as Segment[]).push(await phase(name, PHASE));
      process.stderr.write(`round ${round + 1}/${rounds}\n`);
    }
  } finally {
    await server.stop();
    rmSync(registryDir, { recursive: true, force: true });
  }

  async function phase(name: string, options: typeof PHASE): Promise<Segment> {
    const client: BenchClient = configNamed(name).make(target);
    try {
      const segment = await closedLoop(() => client.call(), options);
      if (segment.errors > 0) throw new Error(`${name}: ${segment.errors} calls failed (${segment.firstError})`);
      return segment;
    } finally {
      await client.close();
    }
  }

  const raw = seen.raw as Segment[];
  console.log(`Paired client CPU (bench/paired/client-cpu.ts): Node ${run.node}, commit ${run.commit}, ${run.date}; load average at start ${run.loadStart.map((x) => x.toFixed(2)).join(' / ')}.`);
  console.log(`${rounds} rounds of 1 s phases at C=${PHASE.concurrency} against one keel server (no handler wrappers) in its own process, every configuration in this one process; ratios are per round, to that round's raw client, then the median (range).\n`);
  console.log('| configuration | client CPU µs/call | CPU × raw | calls/s × raw |');
  console.log('| --- | ---: | ---: | ---: |');
  for (const name of NAMES) {
    const rows = seen[name] as Segment[];
    const cpu = spreadOf(rows.map((s) => s.cpuUsPerCall));
    const cpuRatio = spreadOf(rows.map((s, i) => s.cpuUsPerCall / (raw[i] as Segment).cpuUsPerCall));
    const rateRatio = spreadOf(rows.map((s, i) => s.rps / (raw[i] as Segment).rps));
    console.log(`| ${name} | ${showSpread(cpu, 1)} | ×${showSpread(cpuRatio, 3)} | ×${showSpread(rateRatio, 3)} |`);
  }
}

main().then(() => process.exit(0), (err: Error) => {
  console.error(`paired bench failed: ${err.stack ?? err.message}`);
  process.exit(1);
});
