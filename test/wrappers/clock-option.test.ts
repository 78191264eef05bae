// Every wrapper (and the gateway) that takes an injected clock checks it at construction: a clock without
// now() is a TypeError naming the option, not a crash on the first call.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { adaptiveLimit, breaker, hedge, leastLoaded, memoryRegistry, rateLimit, retry } from '../../src/index';
import { createGateway } from '../../src/toolkit/gateway/gateway';

const bad = { tick: () => 0 } as never;

describe('the clock option', () => {
  const cases: Array<[string, () => unknown]> = [
    ['retry', () => retry({ clock: bad })],
    ['hedge', () => hedge({ clock: bad })],
    ['breaker', () => breaker({ clock: bad })],
    ['rateLimit', () => rateLimit(10, { clock: bad })],
    ['adaptiveLimit', () => adaptiveLimit({ clock: bad })],
    ['leastLoaded', () => leastLoaded({ clock: bad })],
  ];
  for (const [name, make] of cases) {
    it(`${name}: a clock without now() is refused at construction`, () => {
      assert.throws(make, { name: 'TypeError', message: new RegExp(`^${name}: clock must have a now\\(\\) method`) });
    });
  }
  it('createGateway: a clock without now() is refused at construction', async () => {
    const registry = memoryRegistry();
    assert.throws(() => createGateway({ registry, clock: bad }), { name: 'TypeError', message: /^createGateway: clock must have a now\(\) method/ });
    await registry.close();
  });
});
