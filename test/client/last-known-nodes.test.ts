import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { mkdtempSync, readdirSync, unlinkSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient, isKeelError, localRegistry, memoryRegistry, type Registry, type ServiceNode } from '../../src/index';
import { NodeCache } from '../../src/client/node-cache';
import { LIMBO_DEFAULTS } from '../../src/client/last-known-nodes';
import { Basis, eventually, replier, startBasis, type TestServer } from '../support/basis';

const servers: TestServer[] = [];
after(async () => {
  await Promise.all(servers.map((s) => s.server.stop()));
});
/** Servers that will not refresh during the test: the test alone decides what the registry lists. */
const start = async (registry: Registry): Promise<TestServer> => {
  const s = await startBasis(registry, { registerIntervalMs: 60_000, registerTtlMs: 120_000 });
  servers.push(s);
  return s;
};
const nodeOf = (s: TestServer): ServiceNode => s.server.node as ServiceNode;

/** `count` calls, `gapMs` apart; who answered each, or the error reason. */
async function calls(basis: ReturnType<typeof createClient<typeof Basis>>, count: number, gapMs: number): Promise<string[]> {
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    try {
      out.push(replier((await basis.hello({ name: 'x' }, { timeoutMs: 1000 })).msg));
    } catch (err) {
      out.push(`error:${(err as { reason?: string }).reason ?? (err as Error).message}`);
    }
    if (gapMs > 0) await new Promise((res) => setTimeout(res, gapMs));
  }
  return out;
}

describe('a registry that forgets everything is not a fleet that died (client limbo)', () => {
  it('keeps calling the last known nodes while they answer, drops one that stops, and follows the registry once it lists nodes again', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'keel-limbo-'));
    const registry = localRegistry({ dir });
    const [a, b, c] = [await start(registry), await start(registry), await start(registry)] as [TestServer, TestServer, TestServer];
    const basis = createClient(Basis, 'basis', { registry });
    await eventually(async () => new Set(await calls(basis, 30, 0)).size === 3, 'calls to reach all three servers');

    // The registry forgets every node at once (as a Consul agent restarted empty) while all three still serve.
    for (const file of readdirSync(join(dir, 'basis'))) unlinkSync(join(dir, 'basis', file));
    const during = await calls(basis, 60, 5);
    assert.deepEqual(during.filter((r) => r.startsWith('error')), [], 'calls failed while every server was alive');
    assert.deepEqual(new Set(during), new Set([a.id, b.id, c.id]), 'all three kept serving');

    // One really stops: it is dropped at its next probe (500 ms), the others keep serving.
    await a.server.stop();
    await new Promise((res) => setTimeout(res, LIMBO_DEFAULTS.probeIntervalMs + 200));
    const afterStop = await calls(basis, 40, 0);
    assert.deepEqual(afterStop.filter((r) => r === a.id || r.startsWith('error')), [], 'the stopped server still got calls');
    assert.deepEqual(new Set(afterStop), new Set([b.id, c.id]));

    // The registry lists a node again: its list is used as it is, at once.
    await registry.register(nodeOf(c), { ttlMs: 60_000 });
    await eventually(async () => (await calls(basis, 20, 0)).every((r) => r === c.id), 'calls to follow the registry again', 2000);
    basis.close();
    await registry.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('lets a fleet that really left go: no_nodes within about a probe interval of the listeners closing', async () => {
    const registry = memoryRegistry();
    const [a, b] = [await start(registry), await start(registry)] as [TestServer, TestServer];
    const basis = createClient(Basis, 'basis', { registry });
    await calls(basis, 5, 0);
    await Promise.all([a.server.stop(), b.server.stop()]); // deregister, then close
    const t0 = Date.now();
    await eventually(async () => (await calls(basis, 1, 0))[0] === 'error:no_nodes', 'no_nodes after the fleet stopped', 3000);
    const tookMs = Date.now() - t0;
    assert.ok(tookMs < 2000, `no_nodes only after ${tookMs} ms`);
    basis.close();
  });

  it('keeps the nodes no longer than maxKeepMs, even when they answer', async () => {
    const registry = memoryRegistry();
    const s = await start(registry);
    const seen: number[] = [];
    const cache = new NodeCache(registry, 'basis', (nodes) => seen.push(nodes.length), { ...LIMBO_DEFAULTS, probeIntervalMs: 50, maxKeepMs: 400 });
    assert.equal((await cache.get()).length, 1);
    await registry.deregister(nodeOf(s));
    const t0 = Date.now();
    await new Promise((res) => setTimeout(res, 200));
    assert.equal((cache.get() as readonly ServiceNode[]).length, 1, 'dropped before maxKeepMs');
    await eventually(() => seen.at(-1) === 0, 'the kept node to go after maxKeepMs', 2000);
    const keptMs = Date.now() - t0;
    assert.ok(keptMs >= 380 && keptMs < 1000, `kept ${keptMs} ms`);
    await assert.rejects(Promise.resolve(cache.get()), (err: unknown) => isKeelError(err, 'no_nodes'));
    cache.close();
  });
});
