import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { breaker, createClient, hedge, leastLoaded, memoryRegistry, retry, roundRobin, wrapClient, wrapHandler, type Wrapper } from '../../src/index';
import { Basis, replier, startBasis, type TestServer } from '../support/basis';

const servers: TestServer[] = [];
after(async () => Promise.all(servers.map((s) => s.server.stop())));
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Three real servers; the first answers after `slowMs`. */
async function fleet(slowMs: number) {
  const registry = memoryRegistry();
  const slow = await startBasis(registry, { hello: async (req: { name: string }) => { await sleep(slowMs); return { msg: `Hello ${req.name} from slow` }; } });
  const rest = [await startBasis(registry), await startBasis(registry)];
  servers.push(slow, ...rest);
  return { registry, slow };
}

/** 4 callers × `n` calls; the share of calls each node answered. */
async function shares(wrap: Wrapper[], registry: ReturnType<typeof memoryRegistry>, n = 60): Promise<Map<string, number>> {
  const client = createClient(Basis, 'basis', { registry, wrap: wrapClient(...wrap) });
  const seen = new Map<string, number>();
  await Promise.all(Array.from({ length: 4 }, async () => {
    for (let i = 0; i < n; i++) {
      const who = replier((await client.hello({ name: 'x' })).msg);
      seen.set(who, (seen.get(who) ?? 0) + 1);
    }
  }));
  client.close();
  return seen;
}

describe('leastLoaded() over real servers', () => {
  it('a node 60 ms slower than its peers gets a small share; roundRobin() gives it a third', async () => {
    const { registry } = await fleet(60);
    const rr = await shares([roundRobin()], registry);
    // A short decay: on a busy test machine a fast node's occasional slow answer must not cost it long.
    const ll = await shares([leastLoaded({ decayMs: 500 })], registry);
    const share = (m: Map<string, number>): number => (m.get('slow') ?? 0) / [...m.values()].reduce((a, b) => a + b, 0);
    console.log(`# leastLoaded: slow node's share ${(100 * share(ll)).toFixed(1)} % (roundRobin ${(100 * share(rr)).toFixed(1)} %)`);
    assert.ok(share(rr) > 0.3, `roundRobin gave the slow node ${share(rr)}`);
    assert.ok(share(ll) < 0.15, `leastLoaded gave the slow node ${share(ll)}`);
  });

  it('with hedge(): the losers cancelled on the slow node count for their time, so it is not chosen again', async () => {
    const { registry, slow } = await fleet(400);
    let toSlow = 0;
    const count: Wrapper = { name: 'count', client: (next) => (req, ctx) => {
      ctx.onEnd(() => { if (ctx.node?.id === slow.id) toSlow++; });
      return next(req, ctx);
    } };
    const ll = leastLoaded({ decayMs: 1000 });
    const r = retry();
    const seen = await shares([hedge({ delayMs: 20, budget: r.budget, idempotent: true }), r, ll, count], registry, 30);
    const calls = [...seen.values()].reduce((a, b) => a + b, 0);
    console.log(`# leastLoaded + hedge: ${toSlow} of ${calls} calls' attempts went to the 400 ms node`);
    assert.equal(seen.get('slow') ?? 0, 0, 'no call was answered by the slow node');
    assert.ok(toSlow <= calls * 0.15, `${toSlow} attempts of ${calls} calls went to the slow node`);
  });

  it('respects the breaker: once a failing node is ejected, it gets no attempt', async () => {
    const registry = memoryRegistry();
    const failing = await startBasis(registry, { hello: () => { throw Object.assign(new Error('down'), { code: 14, details: 'down' }); } });
    const ok = [await startBasis(registry), await startBasis(registry)];
    servers.push(failing, ...ok);
    const b = breaker({ scope: 'node' });
    // A tiny penalty: the failing node (it fails fast) keeps being chosen until the breaker ejects it.
    const client = createClient(Basis, 'basis', { registry, wrap: wrapClient(retry({ idempotent: true }), leastLoaded({ failurePenaltyMs: 0.001 }), b) });
    // Bounded: it is chosen whenever its failures look no slower than the others' answers, a few times in a hundred.
    for (let i = 0; i < 3000 && failing.seen.length < 5; i++) await client.hello({ name: 'x' });
    assert.equal(failing.seen.length, 5, 'five failures in a row eject it');
    for (let i = 0; i < 60; i++) await client.hello({ name: 'x' });
    client.close();
    assert.equal(failing.seen.length, 5, 'no attempt after the ejection');
    assert.ok(b.circuits().some((c) => c.node === failing.id && c.state === 'open'));
  });

  it('is a client wrapper only, and checks its options', () => {
    assert.throws(() => wrapHandler(leastLoaded()), { name: 'TypeError', message: 'leastLoaded() wraps clients only' });
    assert.throws(() => leastLoaded({ decayMs: 0 }), { name: 'RangeError', message: /leastLoaded: decayMs/ });
    assert.throws(() => leastLoaded({ failurePenaltyMs: -1 }), { name: 'RangeError', message: /leastLoaded: failurePenaltyMs/ });
    // @ts-expect-error: not an option
    assert.throws(() => leastLoaded({ decay: 5 }), { name: 'TypeError', message: /unknown option "decay"/ });
  });
});
