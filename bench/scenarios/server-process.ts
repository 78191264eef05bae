// A scenario server: `fork('server-process.js', [JSON { service, registryDir }])`, a keel server for Basis.Hello on
// 127.0.0.1, registered in a local registry. Its behaviour (service time, slow window, failure rate, worker pool,
// handler wrappers) is set over IPC (server-config.ts); it counts what it did in 100 ms buckets and answers the
// counts over a time range. Sends `{ ready: { id, address } }` once it listens; exits when its parent goes.
import { status } from '@grpc/grpc-js';
import { createServer, localRegistry, wrapHandler, type Handler, type HandlerContext, type HandlerWrapper, type MethodInfo } from '../../src/index';
import { Basis } from '../../examples/basis/proto';
import { answer } from './ipc';
import { HEALTHY, ZERO, type ServerBehaviour, type ServerCounts, type ServerRequest } from './server-config';
import { stackNamed } from './stacks';
import { WorkerPool } from './worker-pool';

const BUCKET_MS = 100;
/** Buckets older than this are dropped: memory stays bounded however long the process runs. */
const KEEP_MS = 15 * 60_000;

const buckets = new Map<number, ServerCounts>();
function count(field: keyof ServerCounts): void {
  const key = Math.floor(Date.now() / BUCKET_MS);
  let bucket = buckets.get(key);
  if (bucket === undefined) {
    bucket = { ...ZERO };
    buckets.set(key, bucket);
    for (const k of buckets.keys()) {
      if (k >= key - KEEP_MS / BUCKET_MS) break; // insertion order is time order
      buckets.delete(k);
    }
  }
  bucket[field]++;
}

function countsBetween(fromEpochMs: number, toEpochMs: number): ServerCounts {
  const sum = { ...ZERO };
  for (const [key, bucket] of buckets) {
    if (key * BUCKET_MS < fromEpochMs || key * BUCKET_MS >= toEpochMs) continue;
    for (const f of Object.keys(sum) as Array<keyof ServerCounts>) sum[f] += bucket[f];
  }
  return sum;
}

let behaviour: ServerBehaviour = HEALTHY;
let pool = new WorkerPool(0);
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const unavailable = (details: string): Error => Object.assign(new Error(details), { code: status.UNAVAILABLE, details });

/** The application: waits for a worker (if a pool), serves, counts whether anyone still waited for the answer. */
async function hello(_request: unknown, ctx: HandlerContext): Promise<{ msg: string }> {
  const mine = pool; // a reconfigure mid-call must not release a worker into the new pool
  if (!(await mine.acquire(ctx.signal))) {
    count('leftQueue');
    throw Object.assign(new Error('gone while queued'), { code: status.CANCELLED, details: 'the caller went away while the call was queued' });
  }
  count('started');
  try {
    const { slow } = behaviour;
    const now = Date.now();
    const isSlow = slow !== undefined && now >= slow.fromEpochMs && now < slow.toEpochMs;
    if (isSlow) count('slowStarted');
    await sleep(isSlow ? slow.ms : behaviour.serviceMs);
    count('completed');
    // Honest: whoever called is gone if the call was cancelled (grpc-js also cancels it at its deadline) or its
    // deadline has passed by the time the work is done.
    const deadline = ctx.deadline;
    if (ctx.signal.aborted || (deadline !== undefined && Date.now() >= deadline)) count('completedForGone');
    if (behaviour.failRate > 0 && Math.random() < behaviour.failRate) {
      count('failedOnPurpose');
      throw unavailable('failing on purpose (failRate)');
    }
    return { msg: `Hello from ${server.id}` };
  } finally {
    mine.release();
  }
}

/** Dispatches to the current stack's handler wrappers, rebuilt on every configure; counts arrivals outside them. */
let wrapped: { method: MethodInfo; next: Handler; current: Handler } | undefined;
function rewrap(): void {
  if (wrapped === undefined) return;
  const stack = stackNamed(behaviour.stack);
  const handlers = stack.kind === 'keel' ? stack.server?.() ?? [] : [];
  wrapped.current = handlers.length > 0 ? wrapHandler(...handlers)(wrapped.next, wrapped.method) : wrapped.next;
}
const dispatch: HandlerWrapper = (next, method) => {
  wrapped = { method, next, current: next };
  rewrap();
  const w = wrapped;
  return (request, ctx) => {
    count('arrived');
    return w.current(request, ctx);
  };
};

function configure(next: ServerBehaviour): void {
  for (const [k, v] of Object.entries({ serviceMs: next.serviceMs, failRate: next.failRate, workers: next.workers })) {
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw new RangeError(`configure: ${k} must be a number ≥ 0, got ${String(v)}`);
  }
  if (next.failRate > 1) throw new RangeError(`configure: failRate must be in [0, 1], got ${next.failRate}`);
  stackNamed(next.stack); // throws for an unknown name
  if (next.workers !== behaviour.workers) pool = new WorkerPool(next.workers);
  behaviour = next;
  rewrap();
}

const { service, registryDir } = JSON.parse(process.argv[2] ?? '{}') as { service: string; registryDir: string };
const server = createServer({ name: service, registry: localRegistry({ dir: registryDir }), address: '127.0.0.1:0', drainDelayMs: 0, graceMs: 500, wrap: dispatch });
server.addService(Basis, { Hello: hello });

let stopping = false;
const stop = (): void => {
  if (stopping) return;
  stopping = true;
  setTimeout(() => process.exit(0), 2000).unref();
  server.stop().finally(() => process.exit(0));
};
process.on('SIGTERM', stop);
answer((request) => {
  const r = request as ServerRequest;
  if (r.cmd === 'configure') return void configure(r.behaviour);
  if (r.cmd === 'slow') return void (behaviour = { ...behaviour, slow: r.slow });
  if (r.cmd === 'counts') return countsBetween(r.fromEpochMs, r.toEpochMs);
  throw new Error(`unknown request ${JSON.stringify(request)}`);
}, stop);
server.start().then(({ id, address }) => process.send?.({ ready: { id, address } }), (err: Error) => {
  console.error(`scenario server failed: ${err.message}`);
  process.exit(1);
});
