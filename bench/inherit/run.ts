import { execFileSync, fork, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { ROOT } from '../shared/root';

/**
 * What deadline and cancellation inheritance costs per call (src/inbound.ts, src/client/inherit.ts), as CPU
 * per call of a keel client and of the keel server it calls, over loopback:
 *
 *   node dist/bench/inherit/run.js [--before <keel checkout, built>] [--rounds 7] [--calls 4000] [--concurrency 8]
 *
 * Every job is a fresh pair of processes (a server, a client: see job.ts) of one build, so a mode that enters
 * an AsyncLocalStorage (a process that serves calls) cannot tax another. With `--before` (e.g. a worktree of
 * the commit before the change, built) the same modes run on that build too, in the same rounds: the
 * configurations are interleaved round by round in a rotated order, and each is reported as the median of
 * its rounds with the min–max. Results: bench/results/inherit-node<major>.{md,json}.
 */
interface Config { build: 'before' | 'after'; dist: string; mode: string }
interface Sample { clientNs: number; serverNs: number; wallMs: number }

const argv = new Map<string, string>();
for (let i = 2; i < process.argv.length; i += 2) argv.set((process.argv[i] as string).replace(/^--/, ''), process.argv[i + 1] as string);
const rounds = Number(argv.get('rounds') ?? 7);
const calls = Number(argv.get('calls') ?? 4000);
const concurrency = Number(argv.get('concurrency') ?? 8);
const before = argv.get('before');
const JOB = join(__dirname, 'job.js');
const JOB_MS = 120_000;

const configs: Config[] = [];
for (const mode of ['outside', 'inside']) {
  if (before !== undefined) configs.push({ build: 'before', dist: resolve(before, 'dist'), mode });
  configs.push({ build: 'after', dist: join(ROOT, 'dist'), mode });
}
configs.push({ build: 'after', dist: join(ROOT, 'dist'), mode: 'inside-signal' }, { build: 'after', dist: join(ROOT, 'dist'), mode: 'inside-detached' });
const label = (c: Config): string => `${c.build} ${c.mode}`;

function message(child: ChildProcess, type: string): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const onMessage = (m: Record<string, unknown>): void => {
      if (m.type !== type) return;
      child.off('message', onMessage);
      child.off('exit', onExit);
      resolve(m);
    };
    const onExit = (code: number | null): void => reject(new Error(`job exited (${code}) before '${type}'`));
    child.on('message', onMessage);
    child.once('exit', onExit);
  });
}

async function job(config: Config): Promise<Sample> {
  const server = fork(JOB, ['server', '--dist', config.dist], { stdio: 'inherit' });
  let client: ChildProcess | undefined;
  const timer = setTimeout(() => {
    server.kill();
    client?.kill();
  }, JOB_MS);
  try {
    const { address } = await message(server, 'address');
    client = fork(JOB, ['client', '--dist', config.dist, '--mode', config.mode, '--address', String(address),
      '--calls', String(calls), '--concurrency', String(concurrency)], { stdio: 'inherit' });
    await message(client, 'warm');
    server.send({ type: 'mark' });
    client.send({ type: 'go' });
    const c = await message(client, 'client');
    const serverDone = message(server, 'server');
    server.send({ type: 'stop' });
    const s = await serverDone;
    return { clientNs: c.cpuNsPerCall as number, serverNs: s.cpuNsPerCall as number, wallMs: c.wallMs as number };
  } finally {
    clearTimeout(timer);
    server.kill();
    client?.kill();
  }
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
};
const us = (ns: number): string => (ns / 1000).toFixed(1);

async function main(): Promise<void> {
  const samples = new Map<string, Sample[]>(configs.map((c) => [label(c), []]));
  const load0 = loadavg()[0] as number;
  for (let r = 0; r < rounds; r++) {
    for (let i = 0; i < configs.length; i++) {
      const config = configs[(i + r) % configs.length] as Config; // rotated: no configuration always goes first
      (samples.get(label(config)) as Sample[]).push(await job(config));
    }
    process.stderr.write(`round ${r + 1}/${rounds} done\n`);
  }
  const load1 = loadavg()[0] as number;
  const commitOf = (dir: string): string => execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: dir, encoding: 'utf8' }).trim();
  const commit = commitOf(ROOT);
  const beforeCommit = before === undefined ? undefined : commitOf(before);
  const rows = configs.map((c) => {
    const s = samples.get(label(c)) as Sample[];
    const client = s.map((x) => x.clientNs);
    const server = s.map((x) => x.serverNs);
    return { config: label(c), clientNs: median(client), clientMin: Math.min(...client), clientMax: Math.max(...client),
      serverNs: median(server), serverMin: Math.min(...server), serverMax: Math.max(...server), callsPerSec: calls / (median(s.map((x) => x.wallMs)) / 1000) };
  });
  const major = process.versions.node.split('.')[0] as string;
  const lines = [
    `# Deadline inheritance: CPU per call (Node ${process.version}, commit ${commit}${beforeCommit ? `, before = ${beforeCommit}` : ''})`,
    '',
    `${rounds} interleaved rounds, ${calls} unary calls per job at concurrency ${concurrency}, each job a fresh client and server process; load average ${load0.toFixed(1)} → ${load1.toFixed(1)}.`,
    'Median of the rounds (min–max). `outside`: calls from no handler; `inside`: from inside a handler (B in A → B → C); `inside-signal`: each with its own signal too; `inside-detached`: `{ inherit: false }`.',
    '',
    '| configuration | client CPU µs/call | server CPU µs/call | calls/s |',
    '|---|---|---|---|',
    ...rows.map((r) => `| ${r.config} | ${us(r.clientNs)} (${us(r.clientMin)}–${us(r.clientMax)}) | ${us(r.serverNs)} (${us(r.serverMin)}–${us(r.serverMax)}) | ${Math.round(r.callsPerSec)} |`),
    '',
  ];
  const out = join(ROOT, 'bench', 'results', `inherit-node${major}`);
  writeFileSync(`${out}.md`, lines.join('\n'));
  writeFileSync(`${out}.json`, JSON.stringify({ node: process.version, commit, before: beforeCommit, rounds, calls, concurrency, load: [load0, load1], rows, samples: Object.fromEntries(samples) }, null, 1));
  process.stdout.write(lines.join('\n'));
}

void main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
