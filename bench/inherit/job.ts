import { join } from 'node:path';
import { loadPackageDefinition, type GrpcObject, type ServiceDefinition } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { ROOT } from '../shared/root';

/**
 * One process of the inheritance bench (see run.ts), with the keel build named by `--dist` (this one's, or
 * another commit's, so that two builds are compared on the same machine in the same rounds):
 * - `server`: a keel Items server on 127.0.0.1:0 whose GetItem answers at once; reports its CPU per call
 *   between the parent's `mark` and `stop`.
 * - `client`: a keel client calling that server, `calls` calls in `concurrency` loops, in one `mode`:
 *   `outside` (no inbound call: what every pure client pays), `inside` (made from inside a handler of a keel
 *   server in this process: the calls inherit its deadline and signal), `inside-signal` (the same, each call
 *   with its own signal too: two signals combined), `inside-detached` (`{ inherit: false }`).
 * Loopback only; every loop is bounded by `calls`.
 */
type Msg = { type: 'mark' } | { type: 'stop' } | { type: 'go' };
type Keel = typeof import('../../src/index');

const args = new Map<string, string>();
for (let i = 3; i < process.argv.length; i += 2) args.set((process.argv[i] as string).replace(/^--/, ''), process.argv[i + 1] as string);
const dist = args.get('dist') as string;
// eslint-disable-next-line @typescript-eslint/no-require-imports
const keel = require(join(dist, 'src', 'index.js')) as Keel;
const Items = (loadPackageDefinition(loadSync(join(ROOT, 'dist', 'test', 'fixtures', 'items.proto'), { defaults: true }))
  .items as GrpcObject).Items as unknown as { service: ServiceDefinition };
type Client = { getItem(req: { id: number }, opts?: object): Promise<unknown>; close(): void };

const send = (m: object): void => void process.send?.(m);
const next = (): Promise<Msg> => new Promise((resolve) => process.once('message', resolve as (m: unknown) => void));
const cpuNs = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) * 1000;
};

async function server(): Promise<void> {
  const registry = keel.memoryRegistry();
  const s = keel.createServer({ name: 'bench-c', registry, logger: false, drainDelayMs: 0 });
  let calls = 0;
  s.addService(Items, { GetItem: ({ id }: { id: number }) => (calls++, { id, name: 'c' }) });
  const { address } = await s.start();
  send({ type: 'address', address });
  await next(); // mark
  const [cpu0, calls0] = [cpuNs(), calls];
  await next(); // stop
  send({ type: 'server', cpuNsPerCall: (cpuNs() - cpu0) / Math.max(1, calls - calls0) });
  await s.stop();
  process.exit(0);
}

async function client(): Promise<void> {
  const mode = args.get('mode') as string;
  const calls = Number(args.get('calls'));
  const concurrency = Number(args.get('concurrency'));
  const registry = keel.memoryRegistry();
  await registry.register({ id: 'bench-c-1', name: 'bench-c', version: '1', address: args.get('address') as string, metadata: {} }, { ttlMs: 600_000 });
  const c = keel.createClient(Items, 'bench-c', { registry }) as unknown as Client;
  const options = mode === 'inside-detached' ? () => ({ inherit: false }) : mode === 'inside-signal' ? () => ({ signal: new AbortController().signal }) : () => undefined;
  const loops = async (n: number): Promise<void> => {
    let left = n;
    await Promise.all(Array.from({ length: concurrency }, async () => {
      while (left-- > 0) await c.getItem({ id: left }, options());
    }));
  };
  // The calls run from inside a handler of a keel server in this process (B in A → B → C), one inbound
  // call per phase: its own cost is spread over all the outbound calls it makes.
  let phase: (n: number) => Promise<void> = loops;
  let b: { stop(): Promise<void> } | undefined;
  if (mode.startsWith('inside')) {
    const bServer = keel.createServer({ name: 'bench-b', registry, logger: false, drainDelayMs: 0 });
    bServer.addService(Items, { GetItem: async ({ id }: { id: number }) => (await loops(id), { id, name: 'b' }) });
    await bServer.start();
    b = bServer;
    const toB = keel.createClient(Items, 'bench-b', { registry, timeoutMs: 600_000 }) as unknown as Client;
    phase = async (n) => void (await toB.getItem({ id: n }));
  }
  await phase(Math.min(2000, calls)); // warm-up: JIT, connections
  send({ type: 'warm' });
  await next(); // go
  const cpu0 = cpuNs();
  const t0 = performance.now();
  await phase(calls);
  send({ type: 'client', cpuNsPerCall: (cpuNs() - cpu0) / calls, wallMs: performance.now() - t0 });
  c.close();
  await b?.stop();
  process.exit(0);
}

void (process.argv[2] === 'server' ? server() : client());
