// `new Registration({ … })`, the public way to keep a process that is not a keel server registered: its
// options are checked at construction, and it registers, refreshes within the TTL and deregisters against a
// real (memory) registry.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { memoryRegistry, Registration, type ServiceNode } from '../../src/index';

const node: ServiceNode = { id: 'app-1', name: 'app', version: '1.0.0', address: '127.0.0.1:8080', metadata: {} };

describe('Registration', () => {
  it('names the option at fault, at construction', () => {
    const registry = memoryRegistry();
    assert.throws(() => new Registration(undefined as never), { name: 'TypeError', message: /Registration: options must be an object/ });
    assert.throws(() => new Registration({ registry: {} as never, node }), { name: 'TypeError', message: /Registration: registry must have a register\(\) method/ });
    assert.throws(() => new Registration({ registry, node: { ...node, id: '' } }), { name: 'TypeError', message: /Registration: node must be a ServiceNode with a non-empty id/ });
    assert.throws(() => new Registration({ registry, node, ttlMs: 0 }), { name: 'RangeError', message: /Registration: ttlMs/ });
    assert.throws(() => new Registration({ registry, node, ttlMs: 1000, intervalMs: 1000 }), { name: 'RangeError', message: /intervalMs \(1000\) must be below ttlMs \(1000\)/ });
    assert.throws(() => new Registration({ registry, node, onError: 'log' as never }), { name: 'TypeError', message: /Registration: onError/ });
    assert.throws(() => new Registration({ registry, node, ttl: 5 } as never), { name: 'TypeError', message: /ttl/ });
  });

  it('registers, stays registered past its TTL by refreshing, and deregisters on stop', async () => {
    const registry = memoryRegistry();
    const errors: Error[] = [];
    const registration = new Registration({ registry, node, ttlMs: 300, intervalMs: 100, onError: (err) => errors.push(err) });
    await registration.start();
    assert.deepEqual((await registry.getService('app')).map((n) => n.id), ['app-1']);
    await new Promise((r) => setTimeout(r, 700)); // more than two TTLs: only the refreshes keep it listed
    assert.deepEqual((await registry.getService('app')).map((n) => n.id), ['app-1']);
    await registration.stop();
    assert.deepEqual(await registry.getService('app'), []);
    assert.deepEqual(errors, []);
    await registry.close();
  });
});
