// Hedging's effect on tail latency: a measurement, so it runs in the chaos phase, alone (see scripts/test.mjs):
// beside other test files on a small machine every call is slow and hedging only adds load.
import assert from 'node:assert/strict';
import { loadavg } from 'node:os';
import { after, describe, it } from 'node:test';
import { createClient, hedge, memoryRegistry, retry, roundRobin, wrapClient, type Registry } from '../../src/index';
import { Basis, startBasis, type TestServer } from '../support/basis';

const servers: TestServer[] = [];
after(async () => Promise.all(servers.map((s) => s.server.stop())));
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const basisClient = (registry: Registry, ...wrappers: Parameters<typeof wrapClient>) =>
  createClient(Basis, 'basis', { registry, wrap: wrapClient(...wrappers) });

describe('hedge() and tail latency', () => {
  it('one slow node of three (200 ms on 1 call in 10): p99 with and without hedging', async () => {
    const registry = memoryRegistry();
    let n = 0;
    servers.push(
      await startBasis(registry, { hello: async () => { if (++n % 10 === 0) await sleep(200); return { msg: 'slow node' }; } }),
      await startBasis(registry), await startBasis(registry),
    );
    const measure = async (wrap: Parameters<typeof wrapClient>): Promise<{ p50: number; p99: number; over150: number }> => {
      const c = basisClient(registry, ...wrap);
      const times: number[] = [];
      for (let i = 0; i < 50; i++) await c.hello({ name: 'warm' });
      // 4 callers, 600 calls in all: bounded, on a shared machine.
      await Promise.all(Array.from({ length: 4 }, async () => {
        for (let i = 0; i < 150; i++) {
          const t0 = performance.now();
          await c.hello({ name: 'x' });
          times.push(performance.now() - t0);
        }
      }));
      c.close();
      times.sort((a, b) => a - b);
      const at = (q: number): number => Math.round((times[Math.floor(q * (times.length - 1))] as number) * 10) / 10;
      return { p50: at(0.5), p99: at(0.99), over150: times.filter((t) => t >= 150).length };
    };
    const r = retry();
    const plain = await measure([r, roundRobin()]);
    let hedges = 0;
    const hedged = await measure([hedge({ delayMs: 50, budget: r.budget, onHedge: () => hedges++ }), r, roundRobin()]);
    console.log(`# hedge p99: without ${JSON.stringify(plain)} ms, with hedge({ delayMs: 50 }) ${JSON.stringify(hedged)} ms, ${hedges} hedges (load ${loadavg()[0]?.toFixed(1)})`);
    // 600 calls, a third to the slow node, 1 in 10 of those slow: about 20 calls of 200 ms without hedging.
    // Hedged, a slow call costs about delayMs + one fast call. Counting calls over 150 ms rather than
    // comparing p99s keeps a loaded machine's occasional stall from deciding the test.
    assert.ok(plain.over150 >= 10, `without hedging ${plain.over150} calls took 150 ms or more`);
    assert.ok(hedged.over150 <= plain.over150 / 3, `hedged: ${hedged.over150} calls over 150 ms, vs ${plain.over150}`);
  });
});
