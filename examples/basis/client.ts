// A basis client: `node dist/examples/basis/client.js [replies]`. Calls Hello through the README's recommended
// stack (plus a rate limit and a line per call) and prints what each wrapper and the registry do. Run by the
// demo, which it asks (over IPC) to crash the next node in rotation mid-run.
import { breaker, createClient, isKeelError, rateLimit, registryFromEnv, retry, roundRobin, timeout, tracing, wrapClient, type ClientWrapper } from '../../src/index';
import { Basis } from './proto';
import { setupTracing } from './tracing-setup';

const RATE = 10;

/** Prints the trace id and node of every call; outermost, so it sees what the inner wrappers did. */
const show: ClientWrapper = (next) => async (request, ctx) => {
  try {
    return await next(request, ctx);
  } finally {
    const traceId = String(ctx.metadata.get('traceparent')[0] ?? '').split('-')[1] ?? '-';
    lastCall = `trace ${traceId.slice(0, 8)}…`;
  }
};
let lastCall = '';
/** Retry and breaker events, printed after the line of the call that caused them. */
const notes: string[] = [];
/** The node whose failed attempt the current call retried, if any. */
let failedOver: string | undefined;

/** Asks the demo to SIGKILL the server of node `id`, and waits until it is dead. */
const crash = (id: string | undefined): Promise<void> => new Promise((resolve) => {
  if (!process.send) return resolve();
  process.once('message', () => resolve());
  process.send({ crash: id });
});

async function main(): Promise<void> {
  const wanted = Number(process.argv[2] ?? 30);
  const traces = setupTracing('basis-client');
  const registry = registryFromEnv();
  // What the registry says, as it says it: a node that leaves is printed with the next call.
  let known = new Set<string>();
  const unwatch = registry.watch('basis', (list) => {
    const now = new Set(list.map((n) => n.id));
    for (const id of known) if (!now.has(id)) notes.push(`     the ${registry.kind} registry no longer lists ${id}${registry.kind === 'local' ? ': its process is gone' : ''}`);
    known = now;
  });
  const basis = createClient(Basis, 'basis', {
    registry,
    timeoutMs: 2000,
    wrap: wrapClient(
      show,
      rateLimit(RATE),
      retry({
        onRetry: (e) => {
          failedOver = `${e.node?.id} (${e.node?.address})`;
          notes.push(`     retry: attempt ${e.attempt - 1} on ${failedOver} failed (${(e.error as Error).message.split('. Last error')[0]}); attempt ${e.attempt} goes to another node`);
        },
      }),
      roundRobin(),
      breaker({
        scope: 'node',
        onStateChange: (c) => notes.push(`     circuit of ${c.node?.id} (${c.node?.address}): ${c.from} → ${c.to}`),
      }),
      timeout(1000),
      tracing(),
    ),
  });
  const nodes = new Set<string>();
  /** Each node's latest reply: round robin's next node is the one that answered longest ago. */
  const lastReply = new Map<string, number>();
  let replies = 0;
  let failures = 0;
  let attempts = 0;
  const t0 = Date.now();
  while (replies < wanted && attempts < wanted * 3) {
    attempts++;
    if (replies === Math.floor(wanted / 3) && process.send && failures === 0 && nodes.size > 1) {
      const next = [...lastReply.entries()].sort((a, b) => a[1] - b[1])[0]?.[0];
      console.log(`     -- the demo kills ${next ?? 'one basis server'} with SIGKILL (no deregistration): the next call goes there, unless the registry notices first --`);
      await crash(next);
    }
    try {
      failedOver = undefined;
      const { msg } = await basis.hello({ name: 'John' });
      replies++;
      const node = /from (\S+)/.exec(msg)?.[1] ?? '?';
      nodes.add(node);
      lastReply.set(node, replies);
      console.log(`[${String(attempts).padStart(2)}] ${msg}  ${lastCall}`);
      for (const note of notes.splice(0)) console.log(note);
      if (failedOver !== undefined) console.log(`     ${node} took over from ${failedOver}: the call did not fail`);
    } catch (err) {
      failures++;
      const message = (err as Error).message.split('. Last error')[0];
      console.log(`[${String(attempts).padStart(2)}] error ${isKeelError(err) ? err.reason : (err as { code?: number }).code}: ${message}`);
    }
    for (const note of notes.splice(0)) console.log(note);
  }
  const seconds = (Date.now() - t0) / 1000;
  unwatch();
  basis.close();
  await registry.close();
  await traces.shutdown();
  console.log(`${replies} replies from ${nodes.size} node(s), ${failures} failed call(s); ` +
    `${attempts} calls in ${seconds.toFixed(1)} s = ${(attempts / seconds).toFixed(1)}/s (rate limit ${RATE}/s)`);
  process.exitCode = replies === wanted ? 0 : 1;
}

main().catch((err: Error) => {
  console.error(`basis client failed: ${err.message}`);
  process.exit(1);
});
