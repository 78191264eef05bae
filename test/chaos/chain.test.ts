// Issue 19's chain figure in the chaos suite: A → B → C, each in its own process on loopback (bench/inherit/chain.ts),
// A gives up (cancels, or its deadline passes) and B and C must learn it, with no deadline passed by hand from B to
// C. `npm test` runs a short variant (a few calls, generous bounds: checks the wiring on a loaded machine);
// KEEL_CHAOS=full runs 100 calls per way and asserts the figure, p99 within 50 ms, on both hops.
import assert from 'node:assert/strict';
import { loadavg } from 'node:os';
import { describe, it } from 'node:test';
import { measureChain, quantile } from '../../bench/inherit/chain';

const FULL = process.env.KEEL_CHAOS === 'full';

describe(`A → B → C in three processes: B and C learn that A gave up (${FULL ? 'full' : 'short'})`, () => {
  it(FULL ? 'p99 within 50 ms on both hops, for a cancel and for a deadline' : 'every call: within 1 s on both hops', async (t) => {
    const figures = await measureChain(FULL ? 100 : 8);
    const bound = FULL ? 50 : 1000;
    for (const f of figures) {
      for (const [hop, xs] of [['B', f.b], ['C', f.c]] as const) {
        const p99 = quantile(xs, 0.99);
        t.diagnostic(`${hop}, ${f.what}: ${xs.length} samples, p50 ${quantile(xs, 0.5).toFixed(1)} ms, p99 ${p99.toFixed(1)} ms, max ${Math.max(...xs).toFixed(1)} ms (load ${loadavg()[0]?.toFixed(1)})`);
        assert.ok(xs.length >= (FULL ? 90 : 6), `${hop}, ${f.what}: enough samples (${xs.length})`);
        const worst = FULL ? p99 : Math.max(...xs);
        assert.ok(worst <= bound, `${hop}, ${f.what}: ${FULL ? 'p99' : 'max'} ${worst.toFixed(1)} ms is within ${bound} ms`);
      }
    }
  });
});
