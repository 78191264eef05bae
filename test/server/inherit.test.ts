import assert from 'node:assert/strict';
import { getEventListeners } from 'node:events';
import { performance } from 'node:perf_hooks';
import { after, before, describe, it, type TestContext } from 'node:test';
import { status } from '@grpc/grpc-js';
import { createClient, createServer, detach, memoryRegistry, type HandlerContext, type KeelServer } from '../../src/index';
import { eventually } from '../support/basis';
import { Items, type Item } from '../support/items';

/**
 * A 3-hop chain on loopback, A (this test, a client) → B (a server whose handlers call C) → C (a server whose
 * handler waits for its caller to go). No deadline or signal is passed by hand from B to C: what C sees comes
 * from the inbound call B serves (src/inbound.ts).
 */
type Client = {
  getItem(req: { id: number }, opts?: object): Promise<Item>;
  listItems(req: { count: number }, opts?: object): AsyncIterable<Item>;
  close(): void;
};

/**
 * What one hop's handler saw: when it started, when its signal aborted (performance.now()), when it failed,
 * its deadline. B may also learn of a passed deadline first from its own call to C, which has the same
 * deadline: it then fails (DEADLINE_EXCEEDED) and is over before grpc-js would cancel it.
 */
interface Seen { started: number; aborted: number | undefined; failed?: number; deadline: number | undefined; outcome?: string }
/** When the hop learned that its caller had gone: its signal aborted, or its call to C failed for it. */
const sawIt = (s: Seen): number | undefined => (s.aborted === undefined ? s.failed : s.failed === undefined ? s.aborted : Math.min(s.aborted, s.failed));

const registry = memoryRegistry();
const servers: KeelServer[] = [];
const clients: Client[] = [];
const seen: Record<'b' | 'c', Seen[]> = { b: [], c: [] };
/** How B calls C, per test: the id of the request says which. */
const B_CALLS: Record<number, (c: Client) => Promise<unknown>> = {
  1: (c) => c.getItem({ id: 1 }), // inherit (the default)
  2: (c) => c.getItem({ id: 2 }, { inherit: false }),
  3: (c) => detach(() => c.getItem({ id: 3 })),
  4: (c) => c.getItem({ id: 4 }, { timeoutMs: 60_000 }), // can shorten the inherited deadline, never extend it
};
/** Listeners left on B's inbound signal and on a signal of B's own after 20 calls that joined the two. */
const leftOver: Array<{ inbound: number; own: number }> = [];
/** B's client of C. */
let toC: Client;

function watch(who: 'b' | 'c', ctx: HandlerContext): Seen {
  const s: Seen = { started: performance.now(), aborted: undefined, deadline: ctx.deadline };
  ctx.signal.addEventListener('abort', () => (s.aborted = performance.now()));
  seen[who].push(s);
  return s;
}

/** B's unary handler: calls C as the request's id says (see B_CALLS and the tests). */
async function bGetItem(id: number, ctx: HandlerContext): Promise<Item> {
  if (id === 5) {
    const own = new AbortController().signal;
    const before = getEventListeners(ctx.signal, 'abort').length;
    await Promise.all(Array.from({ length: 20 }, (_, i) => toC.getItem({ id: 100 + i }, { signal: own })));
    leftOver.push({ inbound: getEventListeners(ctx.signal, 'abort').length - before, own: getEventListeners(own, 'abort').length });
    return { id, name: 'joined' };
  }
  if (id === 6) { // B's own signal cancels its call to C while B's caller is still there
    const own = new AbortController();
    const c0 = seen.c.length;
    const call = toC.getItem({ id: 6 }, { signal: own.signal });
    await eventually(() => seen.c.length > c0, 'C started');
    own.abort();
    return call.then(() => ({ id, name: 'not cancelled' }), (err: { code: number }) => ({ id, name: `C failed ${err.code}` }));
  }
  await new Promise((r) => setTimeout(r, 5)); // C is called from B's own async code, a few turns deep
  return (B_CALLS[id] as (c: Client) => Promise<Item>)(toC);
}

before(async () => {
  const c = createServer({ name: 'chain-c', registry, drainDelayMs: 0, logger: false });
  c.addService(Items, {
    // Waits for its caller to go, or answers after 400 ms (the detached calls: nobody cancels them).
    GetItem: ({ id }: { id: number }, ctx: HandlerContext) => {
      if (id >= 100) return { id, name: 'at once' };
      const s = watch('c', ctx);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          s.outcome = 'answered';
          resolve({ id, name: 'from c' });
        }, 400);
        ctx.signal.addEventListener('abort', () => {
          clearTimeout(timer);
          s.outcome = 'cancelled';
          reject(Object.assign(new Error('gone'), { code: status.CANCELLED }));
        });
      });
    },
  });
  toC = createClient(Items, 'chain-c', { registry }) as unknown as Client;
  const b = createServer({ name: 'chain-b', registry, drainDelayMs: 0, logger: false });
  b.addService(Items, {
    GetItem: async ({ id }: { id: number }, ctx: HandlerContext) => {
      const s = watch('b', ctx);
      try {
        return await bGetItem(id, ctx);
      } catch (err) {
        s.failed = performance.now();
        throw err;
      }
    },
    // A stream: C is called from inside the generator, after a first message.
    ListItems: async function* (_req: { count: number }, ctx: HandlerContext) {
      watch('b', ctx);
      yield { id: 0, name: 'first' };
      await new Promise((r) => setTimeout(r, 5));
      yield await toC.getItem({ id: 10 });
    },
  });
  clients.push(toC);
  await c.start();
  await b.start();
  servers.push(c, b);
});
after(async () => {
  for (const c of clients) c.close();
  await Promise.all(servers.map((s) => s.stop()));
});

const callB = (): Client => {
  const a = createClient(Items, 'chain-b', { registry }) as unknown as Client;
  clients.push(a);
  return a;
};

/** Waits for B's and C's handlers to have started (one each, beyond those already seen). */
async function bothStarted(b0: number, c0: number): Promise<{ b: Seen; c: Seen }> {
  await eventually(() => seen.b.length > b0 && seen.c.length > c0, 'B and C started');
  return { b: seen.b[b0] as Seen, c: seen.c[c0] as Seen };
}

/** A deadline computed downstream from `deadline`: not earlier, and later only by the event loops' lag. */
const within = (seen: number | undefined, deadline: number): boolean => seen !== undefined && seen >= deadline - 2 && seen < deadline + 1000;

function report(t: TestContext, what: string, from: number, b: Seen, c: Seen): void {
  const how = b.aborted !== undefined && b.aborted === sawIt(b) ? "B's signal aborted" : 'B failed with its call to C';
  t.diagnostic(`${what}: ${how} ${((sawIt(b) as number) - from).toFixed(1)} ms after A gave up; C's signal ${((c.aborted as number) - from).toFixed(1)} ms`);
}

/** Waits for B and C to learn that A has gone; asserts they did within `boundMs` of `from` (generous: a loaded machine). */
async function bothLearn(b: Seen, c: Seen, from: number, boundMs = 1000): Promise<void> {
  await eventually(() => sawIt(b) !== undefined && c.aborted !== undefined, 'B and C learn that A has gone', 3000);
  assert.ok((sawIt(b) as number) - from < boundMs && (c.aborted as number) - from < boundMs);
}

describe('deadlines and cancellation follow the call: A → B → C on loopback, nothing passed by hand', () => {
  it('A cancels: B and C see it at once', async (t) => {
    const a = callB();
    const [b0, c0] = [seen.b.length, seen.c.length];
    const abort = new AbortController();
    const call = a.getItem({ id: 1 }, { signal: abort.signal });
    const { b, c } = await bothStarted(b0, c0);
    const gaveUp = performance.now();
    abort.abort();
    await assert.rejects(call, { code: status.CANCELLED });
    await bothLearn(b, c, gaveUp);
    report(t, 'cancel', gaveUp, b, c);
    assert.equal(c.outcome, 'cancelled');
  });

  it("A's deadline passes: B and C see it, and C's deadline is A's", async (t) => {
    const a = callB();
    const [b0, c0] = [seen.b.length, seen.c.length];
    const deadline = Date.now() + 300;
    const call = a.getItem({ id: 1 }, { deadline });
    const { b, c } = await bothStarted(b0, c0);
    await assert.rejects(call, { code: status.DEADLINE_EXCEEDED });
    const passed = performance.now() - (Date.now() - deadline); // the deadline, on the performance clock
    await bothLearn(b, c, passed);
    report(t, 'deadline', passed, b, c);
    // Each hop sends the time left and the next computes its deadline when it reads the call, so a loaded
    // event loop makes it a little later; B's client's own default would be 5 s later.
    assert.ok(within(c.deadline, deadline), `C's deadline is A's: ${c.deadline} vs ${deadline}`);
    assert.equal(c.outcome, 'cancelled');
  });

  it('a call option can shorten the inherited deadline but not extend it', async () => {
    const a = callB();
    const [b0, c0] = [seen.b.length, seen.c.length];
    const deadline = Date.now() + 2000;
    const call = a.getItem({ id: 4 }, { deadline });
    const { c } = await bothStarted(b0, c0);
    assert.ok(within(c.deadline, deadline), `timeoutMs: 60000 did not extend A's deadline: ${c.deadline} vs ${deadline}`);
    assert.equal((await call).name, 'from c');
  });

  it('a call with a signal of its own as well: its own signal cancels it too, and no listener is left on either once it ended', async () => {
    const a = callB();
    assert.equal((await a.getItem({ id: 5 })).name, 'joined');
    assert.deepEqual(leftOver, [{ inbound: 0, own: 0 }]);
    const c0 = seen.c.length;
    assert.equal((await a.getItem({ id: 6 })).name, `C failed ${status.CANCELLED}`);
    await eventually(() => (seen.c[c0] as Seen).outcome !== undefined, 'C ended', 3000);
    assert.equal((seen.c[c0] as Seen).outcome, 'cancelled');
  });

  for (const [id, how] of [[2, '{ inherit: false }'], [3, 'detach(fn)']] as const) {
    it(`${how} opts out: C keeps working after A cancels, with its own deadline`, async () => {
      const a = callB();
      const [b0, c0] = [seen.b.length, seen.c.length];
      const abort = new AbortController();
      const call = a.getItem({ id }, { signal: abort.signal, timeoutMs: 200 });
      const { b, c } = await bothStarted(b0, c0);
      abort.abort();
      await assert.rejects(call, { code: status.CANCELLED });
      await eventually(() => c.outcome !== undefined, 'C answered', 3000);
      assert.ok(b.aborted !== undefined, 'B was cancelled');
      assert.equal(c.outcome, 'answered');
      assert.equal(c.aborted, undefined);
      // B's client's default timeout (5 s), not A's 200 ms.
      assert.ok((c.deadline as number) - (b.deadline as number) > 4000, `C's own deadline: ${c.deadline} vs B's ${b.deadline}`);
    });
  }

  it('a stream handler: A cancels; the call B made from inside its generator is cancelled', async (t) => {
    const a = callB();
    const [b0, c0] = [seen.b.length, seen.c.length];
    const abort = new AbortController();
    const stream = a.listItems({ count: 1 }, { signal: abort.signal })[Symbol.asyncIterator]();
    assert.equal((await stream.next()).value?.name, 'first');
    const pending = stream.next(); // B now calls C
    const { b, c } = await bothStarted(b0, c0);
    const gaveUp = performance.now();
    abort.abort();
    await assert.rejects(pending, { code: status.CANCELLED });
    await bothLearn(b, c, gaveUp);
    report(t, 'stream', gaveUp, b, c);
    assert.equal(c.outcome, 'cancelled');
  });
});
