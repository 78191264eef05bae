import { fork, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { loadPackageDefinition, type GrpcObject, type ServiceDefinition } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { createClient, createServer, memoryRegistry, type HandlerContext } from '../../src/index';
import { ROOT } from '../shared/root';

/**
 * How fast a caller giving up reaches the rest of a call chain, A → B → C, each in its own process on
 * loopback, nothing passed by hand from B to C (src/inbound.ts):
 *
 *   node dist/bench/inherit/chain.js [--calls 60]
 *
 * A (this process) starts a call to B, whose handler calls C, whose handler waits for its caller to go. Once
 * C has started, A gives up — it aborts its signal (`cancel`), or its 300 ms deadline passes (`deadline`) —
 * and B and C report when they learned it (their `ctx.signal` aborted, or for B its call to C failed), on the
 * machine's one clock. Results: bench/results/inherit-chain-node<major>.{md,json}.
 */
type Client = { getItem(req: { id: number }, opts?: object): Promise<unknown>; close(): void };
const Items = (loadPackageDefinition(loadSync(join(ROOT, 'dist', 'test', 'fixtures', 'items.proto'), { defaults: true }))
  .items as GrpcObject).Items as unknown as { service: ServiceDefinition };
const now = (): number => performance.timeOrigin + performance.now();
const send = (m: object): void => void process.send?.(m);

/** B or C: reports `started` and `learned` per call id to the parent. */
async function hop(role: 'b' | 'c', cAddress: string | undefined): Promise<void> {
  const registry = memoryRegistry();
  const server = createServer({ name: `chain-${role}`, registry, logger: false, drainDelayMs: 0 });
  let toC: Client | undefined;
  if (cAddress !== undefined) {
    await registry.register({ id: 'chain-c-1', name: 'chain-c', version: '1', address: cAddress, metadata: {} }, { ttlMs: 600_000 });
    toC = createClient(Items, 'chain-c', { registry }) as unknown as Client;
  }
  server.addService(Items, {
    GetItem: async ({ id }: { id: number }, ctx: HandlerContext) => {
      let told = false;
      const learned = (): void => {
        if (!told) send({ type: 'learned', role, id, at: now() });
        told = true;
      };
      ctx.signal.addEventListener('abort', learned);
      send({ type: 'started', role, id });
      if (toC === undefined) return new Promise((_, reject) => ctx.signal.addEventListener('abort', () => reject(new Error('gone'))));
      try {
        return await toC.getItem({ id });
      } catch (err) {
        learned();
        throw err;
      }
    },
  });
  const { address } = await server.start();
  send({ type: 'address', address });
}

/** One way of giving up, and how many ms after it B and C learned it, per call. */
export interface ChainFigure { what: string; b: number[]; c: number[] }

/**
 * Runs the chain: B and C in their own processes (killed at the end), A here; `calls` calls per way of giving
 * up. A call whose C never started (its deadline passed first, on a starved machine) is no sample; B or C
 * never learning that A gave up is an error.
 */
export async function measureChain(calls: number): Promise<ChainFigure[]> {
  const children: ChildProcess[] = [];
  const spawn = async (role: 'b' | 'c', cAddress?: string): Promise<{ child: ChildProcess; address: string }> => {
    const child = fork(__filename, ['--role', role, ...(cAddress ? ['--c', cAddress] : [])], { stdio: 'inherit' });
    children.push(child);
    const address = await new Promise<string>((resolve, reject) => {
      child.on('message', (m: { type: string; address: string }) => m.type === 'address' && resolve(m.address));
      child.once('exit', (code) => reject(new Error(`chain: ${role} exited (${code}) before listening`)));
    });
    return { child, address };
  };
  const events = new Map<string, number>();
  const started = new Set<string>();
  try {
    const c = await spawn('c');
    const b = await spawn('b', c.address);
    for (const child of [b.child, c.child]) {
      child.on('message', (m: { type: string; role: string; id: number; at: number }) => {
        if (m.type === 'started') started.add(`${m.role}${m.id}`);
        if (m.type === 'learned') events.set(`${m.role}${m.id}`, m.at);
      });
    }
    const registry = memoryRegistry();
    await registry.register({ id: 'chain-b-1', name: 'chain-b', version: '1', address: b.address, metadata: {} }, { ttlMs: 600_000 });
    const a = createClient(Items, 'chain-b', { registry }) as unknown as Client;
    const until = async (check: () => boolean, ms: number): Promise<boolean> => {
      const end = Date.now() + ms;
      while (!check()) {
        if (Date.now() > end) return false;
        await new Promise((r) => setTimeout(r, 1));
      }
      return true;
    };
    const figures: ChainFigure[] = [{ what: 'cancel', b: [], c: [] }, { what: 'deadline (300 ms)', b: [], c: [] }];
    let id = 0;
    try {
      for (let i = 0; i < calls; i++) {
        for (const figure of figures) {
          id++;
          const abort = new AbortController();
          const deadline = Date.now() + 300;
          const cancel = figure.what === 'cancel';
          const call = a.getItem({ id }, cancel ? { signal: abort.signal } : { deadline }).catch(() => undefined);
          if (!(await until(() => started.has(`c${id}`), 5000))) {
            await call;
            continue;
          }
          let gaveUp = deadline;
          if (cancel) {
            gaveUp = now();
            abort.abort();
          }
          await call;
          if (!(await until(() => events.has(`b${id}`) && events.has(`c${id}`), 5000))) throw new Error(`chain: call ${id}: B or C never learned that A had gone`);
          figure.b.push((events.get(`b${id}`) as number) - gaveUp);
          figure.c.push((events.get(`c${id}`) as number) - gaveUp);
        }
      }
    } finally {
      a.close();
    }
    return figures;
  } finally {
    for (const child of children) child.kill();
  }
}

/** The `p` quantile (0–1) of `xs`, nearest rank (p99 of 100 samples: the 99th smallest). */
export const quantile = (xs: number[], p: number): number => [...xs].sort((x, y) => x - y)[Math.max(0, Math.ceil(p * xs.length) - 1)] as number;

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const calls = Number(argv[argv.indexOf('--calls') + 1] || 60);
  const figures = await measureChain(calls);
  const row = (name: string, xs: number[]): string =>
    `| ${name} | ${xs.length} | ${quantile(xs, 0.5).toFixed(1)} | ${quantile(xs, 0.9).toFixed(1)} | ${quantile(xs, 0.99).toFixed(1)} | ${Math.max(...xs).toFixed(1)} |`;
  const lines = [
    `# A → B → C: how soon B and C learn that A gave up (Node ${process.version})`,
    '',
    `Three processes on loopback, ${calls} calls per way of giving up, nothing passed by hand from B to C; load average ${(loadavg()[0] as number).toFixed(1)}.`,
    'Milliseconds from A giving up (its abort, or its deadline) to B / C learning it.',
    '',
    '| hop, how A gave up | samples | p50 | p90 | p99 | max |',
    '|---|---|---|---|---|---|',
    ...figures.flatMap((f) => [row(`B, ${f.what}`, f.b), row(`C, ${f.what}`, f.c)]),
    '',
  ];
  const out = join(ROOT, 'bench', 'results', `inherit-chain-node${process.versions.node.split('.')[0]}`);
  writeFileSync(`${out}.md`, lines.join('\n'));
  writeFileSync(`${out}.json`, JSON.stringify({ node: process.version, calls, load: loadavg()[0], figures }, null, 1));
  process.stdout.write(lines.join('\n'));
}

const roleAt = process.argv.indexOf('--role');
if (require.main !== module) {
  // imported (the chaos suite): nothing to start
} else if (roleAt > 0) {
  const cAt = process.argv.indexOf('--c');
  void hop(process.argv[roleAt + 1] as 'b' | 'c', cAt > 0 ? process.argv[cAt + 1] : undefined);
} else {
  void main().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
