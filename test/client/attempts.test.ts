import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { status } from '@grpc/grpc-js';
import {
  addFilter, breaker, createClient, memoryRegistry, roundRobin, timeout, wrapClient, type CallContext, type ClientWrapper,
  type ServiceNode,
} from '../../src/index';
import { Basis, replier, startBasis, type TestServer } from '../support/basis';
import { registerDeadNode } from '../support/dead-node';
import { collect, Items, startItems, type Item, type ItemsProbe } from '../support/items';

const servers: TestServer[] = [];
const probes: ItemsProbe[] = [];
after(async () => Promise.all([...servers.map((s) => s.server.stop()), ...probes.map((p) => p.server.stop())]));

/** What each attempt looked like, seen from a wrapper below the re-caller. */
interface Seen { attempt: number; tried: string[]; deadline: number | undefined; filters: number; node?: string; key: object }

/** A test wrapper that makes every call twice (sequentially, or both at once), returning the last answer. */
const twice = (mode: 'sequential' | 'concurrent'): ClientWrapper => (next) => async (req, ctx) => {
  if (mode === 'concurrent') return (await Promise.all([next(req, ctx), next(req, ctx)]))[1];
  await next(req, ctx).catch(() => undefined);
  return next(req, ctx);
};

/** Below the re-caller: records what each attempt sees, avoids nodes tried before, and shortens its deadline. */
const observe = (seen: Seen[]): ClientWrapper => (next) => (req, ctx) => {
  const entry: Seen = { attempt: ctx.attempt, tried: ctx.tried.map((n) => n.id), deadline: ctx.deadline, filters: ctx.filters?.length ?? 0, key: ctx.attemptKey };
  seen.push(entry);
  const tried = new Set(ctx.tried.map((n) => n.id));
  addFilter(ctx, { reason: 'no_nodes', accept: (node: ServiceNode) => !tried.has(node.id) });
  ctx.deadline = Math.min(ctx.deadline ?? Infinity, Date.now() + 1000);
  ctx.onEnd(() => (entry.node = ctx.node?.id));
  return next(req, ctx);
};

describe('one context per attempt', () => {
  it('a wrapper that calls next twice gets two attempts on two different nodes, nothing leaking between them', async () => {
    const registry = memoryRegistry();
    for (let i = 0; i < 2; i++) servers.push(await startBasis(registry));
    const seen: Seen[] = [];
    let outer: CallContext | undefined;
    const basis = createClient(Basis, 'basis', {
      registry, timeoutMs: 5000,
      wrap: wrapClient((next) => (req, ctx) => ((outer = ctx), next(req, ctx)), twice('sequential'), observe(seen)),
    });
    const { msg } = await basis.hello({ name: 'x' });
    assert.deepEqual(seen.map((s) => [s.attempt, s.tried.length, s.filters]), [[1, 0, 0], [2, 1, 0]],
      'the second attempt saw the first one\'s node in `tried`, but not its filter');
    assert.ok(seen[0]!.node && seen[1]!.node && seen[0]!.node !== seen[1]!.node, `both went to ${seen[0]!.node}`);
    assert.equal(replier(msg), seen[1]!.node);
    // The first attempt shortened its own deadline to 1 s; the second started from the call's 5 s again.
    assert.ok(seen[1]!.deadline! > Date.now() + 3000, 'the shortened deadline leaked into the next attempt');
    assert.notEqual(seen[0]!.key, seen[1]!.key);
    assert.equal(outer!.node?.id, seen[1]!.node, 'a layer above the re-caller sees the latest attempt\'s node');
    basis.close();
  });

  it('concurrent next() calls (hedging) are separate attempts, each with its own node', async () => {
    const registry = memoryRegistry();
    for (let i = 0; i < 2; i++) servers.push(await startBasis(registry));
    const seen: Seen[] = [];
    const basis = createClient(Basis, 'basis', { registry, wrap: wrapClient(twice('concurrent'), roundRobin(), observe(seen)) });
    await basis.hello({ name: 'x' });
    assert.deepEqual(seen.map((s) => s.attempt).sort(), [1, 2]);
    assert.notEqual(seen[0]!.node, seen[1]!.node);
    basis.close();
  });

  it('a breaker below the re-caller records each attempt once, against the node that attempt used', async () => {
    const registry = memoryRegistry();
    const dead = await registerDeadNode(registry);
    const live = await startBasis(registry);
    servers.push(live);
    const b = breaker({ scope: 'node', volumeThreshold: 100 });
    const seen: Seen[] = [];
    // The observe filter makes attempt 2 avoid attempt 1's node, whichever that was (the second may fail).
    const basis = createClient(Basis, 'basis', { registry, wrap: wrapClient(twice('sequential'), observe(seen), b) });
    for (let i = 0; i < 4; i++) await basis.hello({ name: 'x' }).catch(() => undefined);
    assert.deepEqual(seen.map((s) => s.attempt), [1, 2, 1, 2, 1, 2, 1, 2]);
    const rows = new Map(b.circuits().map((c) => [c.node, [c.requests, c.failures]]));
    assert.deepEqual(rows.get(dead.id), [4, 4], 'each call made one attempt on the dead node');
    assert.deepEqual(rows.get(live.id), [4, 0], 'and one on the live node');
    basis.close();
  });

  it('timeout() inside a re-caller is a per-attempt timeout; the call keeps its own deadline', async () => {
    const registry = memoryRegistry();
    let calls = 0;
    servers.push(await startBasis(registry, {
      hello: async (_req, ctx) => {
        if (++calls === 1) await new Promise((resolve) => ctx.signal.addEventListener('abort', resolve)); // hang the first
        return { msg: 'second attempt' };
      },
    }));
    const basis = createClient(Basis, 'basis', { registry, timeoutMs: 5000, wrap: wrapClient(twice('sequential'), timeout(200)) });
    const t0 = Date.now();
    assert.equal((await basis.hello({ name: 'x' })).msg, 'second attempt');
    assert.ok(Date.now() - t0 < 2000, `took ${Date.now() - t0} ms`);
    basis.close();
  });

  it('streams: each attempt is its own stream; the last one is what the caller reads', async () => {
    const registry = memoryRegistry();
    for (let i = 0; i < 2; i++) probes.push(await startItems(registry));
    const seen: Seen[] = [];
    const firstTry: ClientWrapper = (next) => async (req, ctx) => {
      const first = (await next(req, ctx)) as AsyncIterable<Item>;
      for await (const _ of first) break; // read one message, then give up on this attempt
      return next(req, ctx);
    };
    const c = createClient(Items, 'items', { registry, wrap: wrapClient(firstTry, observe(seen)) }) as unknown as { listItems(r: object): AsyncIterable<Item>; close(): void };
    const items = await collect(c.listItems({ count: 1000 }));
    assert.equal(items.length, 1000);
    assert.deepEqual(seen.map((s) => s.attempt), [1, 2]);
    assert.notEqual(seen[0]!.node, seen[1]!.node);
    assert.ok(items.every((i) => i.name.endsWith(seen[1]!.node!)));
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(probes.reduce((n, p) => n + p.aborted, 0), 1, 'the abandoned attempt was cancelled');
    c.close();
  });

  it('a wrapper that passes a copy of the context instead of its own gets a clear error', async () => {
    const registry = memoryRegistry();
    servers.push(await startBasis(registry));
    const basis = createClient(Basis, 'basis', { registry, wrap: wrapClient((next) => (req, ctx) => next(req, { ...ctx })) });
    await assert.rejects(basis.hello({ name: 'x' }), { name: 'TypeError', message: /pass next\(\) the context your wrapper received/ });
    void status;
    basis.close();
  });
});
