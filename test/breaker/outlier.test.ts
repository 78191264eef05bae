import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { status } from '@grpc/grpc-js';
import { breaker, createClient, memoryRegistry, retry, roundRobin, wrapClient, type Registry } from '../../src/index';
import { Basis, startBasis, type TestServer } from '../support/basis';

const servers: TestServer[] = [];
after(async () => Promise.all(servers.map((s) => s.server.stop())));

/** A server failing `fails` of every `of` calls with UNAVAILABLE (default every third: under the 50 % threshold, never 5 in a row). */
async function flaky(registry: Registry, fails = 1, of = 3): Promise<TestServer> {
  let n = 0;
  const s = await startBasis(registry, { hello: () => {
    if (++n % of < fails) throw Object.assign(new Error('flaky'), { code: status.UNAVAILABLE, details: 'flaky' });
    return { msg: 'ok' };
  } });
  servers.push(s);
  return s;
}

async function run(registry: Registry, options: Parameters<typeof breaker>[0] = {}) {
  const b = breaker({ scope: 'node', ...options });
  const client = createClient(Basis, 'basis', { registry, wrap: wrapClient(retry({ idempotent: true, budget: false }), roundRobin(), b) });
  for (let i = 0; i < 200; i++) await client.hello({ name: 'x' }).catch(() => undefined);
  client.close();
  return b.circuits();
}

describe('breaker({ scope: "node" }): a node failing well above its peers is ejected (A50 success rate)', () => {
  it('one node of four failing 33 %: ejected; with outlierGapPercentage 0 it is not', async () => {
    const registry = memoryRegistry();
    const bad = await flaky(registry);
    for (let i = 0; i < 3; i++) servers.push(await startBasis(registry));
    const on = await run(registry);
    const off = await run(registry, { outlierGapPercentage: 0 });
    assert.ok((on.find((c) => c.node === bad.id)?.entered.open ?? 0) >= 1, JSON.stringify(on));
    assert.equal(on.filter((c) => c.node !== bad.id && c.entered.open > 0).length, 0);
    assert.equal(off.find((c) => c.node === bad.id)?.entered.open ?? 0, 0, JSON.stringify(off));
  });

  it('every node failing 60 % alike (an overloaded fleet): over the error threshold, yet none is ejected', async () => {
    const registry = memoryRegistry();
    for (let i = 0; i < 4; i++) await flaky(registry, 3, 5);
    const circuits = await run(registry, { consecutiveFailures: 0 });
    assert.equal(circuits.filter((c) => c.entered.open > 0).length, 0, JSON.stringify(circuits));
  });

  it('checks the option', () => {
    assert.throws(() => breaker({ outlierGapPercentage: 120 }), { name: 'RangeError', message: /outlierGapPercentage/ });
  });
});
