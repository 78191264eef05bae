import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { memoryRegistry } from '../../src/index';
import { FakeClock } from '../support/fake-clock';
import { node, registryConformance } from './conformance';

registryConformance('memory', () => memoryRegistry());

describe('memoryRegistry with an injected clock', () => {
  it('expires a node exactly at its TTL', async () => {
    const clock = new FakeClock();
    const r = memoryRegistry({ clock });
    const n = node('clocked');
    await r.register(n, { ttlMs: 1000 });
    clock.advance(999);
    assert.equal((await r.getService('clocked')).length, 1);
    clock.advance(1);
    assert.equal((await r.getService('clocked')).length, 0);
    await r.close();
  });

  it('extends the TTL on every register', async () => {
    const clock = new FakeClock();
    const r = memoryRegistry({ clock });
    const n = node('refreshed');
    await r.register(n, { ttlMs: 1000 });
    clock.advance(800);
    await r.register(n, { ttlMs: 1000 });
    clock.advance(800);
    assert.equal((await r.getService('refreshed')).length, 1);
    await r.close();
  });

  it('rejects unknown options', () => {
    assert.throws(() => memoryRegistry({ clok: 1 } as never), { name: 'TypeError', message: /unknown option "clok"/ });
  });
});
