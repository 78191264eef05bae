import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { breaker, createClient, memoryRegistry, rateLimit, roundRobin, wrapClient, wrapHandler } from '../../src/index';
import { Basis, replier, startBasis, type TestServer } from '../support/basis';

const servers: TestServer[] = [];
after(async () => {
  await Promise.all(servers.map((s) => s.server.stop()));
});
async function three() {
  const registry = memoryRegistry();
  const started = await Promise.all([startBasis(registry), startBasis(registry), startBasis(registry)]);
  servers.push(...started);
  return { registry, ids: started.map((s) => s.id) };
}

describe('roundRobin() over real servers', () => {
  it('spreads 30 calls over 3 nodes exactly evenly, never the same node twice in a row', async () => {
    const { registry, ids } = await three();
    const basis = createClient(Basis, 'basis', { registry, wrap: wrapClient(roundRobin()) });
    const seen: string[] = [];
    for (let i = 0; i < 30; i++) seen.push(replier((await basis.hello({ name: 'rr' })).msg));
    for (const id of ids) assert.equal(seen.filter((s) => s === id).length, 10);
    for (let i = 1; i < seen.length; i++) assert.notEqual(seen[i], seen[i - 1]);
    basis.close();
  });

  it('is a client wrapper only', () => {
    assert.throws(() => wrapHandler(roundRobin()), { name: 'TypeError', message: 'roundRobin() wraps clients only' });
  });

  it('wrapClient(roundRobin(), rateLimit(1), breaker()): three calls take about two seconds and hit three nodes', async () => {
    const { registry, ids } = await three();
    const basis = createClient(Basis, 'basis', { registry, wrap: wrapClient(roundRobin(), rateLimit(1), breaker()), timeoutMs: 10_000 });
    const t0 = Date.now();
    const seen: string[] = [];
    for (let i = 0; i < 3; i++) seen.push(replier((await basis.hello({ name: 'slow' })).msg));
    const took = Date.now() - t0;
    assert.ok(took >= 1900 && took < 3500, `took ${took} ms`);
    assert.deepEqual([...seen].sort(), [...ids].sort());
    basis.close();
  });
});
