import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { tmpdir } from 'node:os';
import { registryFromEnv } from '../../src/index';

describe('registryFromEnv', () => {
  it('defaults to the local registry, one shared instance per configuration', () => {
    const a = registryFromEnv({});
    assert.equal(a.kind, 'local');
    assert.equal(registryFromEnv({ MICRO_REGISTRY: '' }), a);
    const b = registryFromEnv({ MICRO_REGISTRY: 'local', MICRO_REGISTRY_ADDRESS: tmpdir() });
    assert.notEqual(b, a);
  });

  it('picks memory and mdns by name', () => {
    assert.equal(registryFromEnv({ MICRO_REGISTRY: 'memory' }).kind, 'memory');
    assert.equal(registryFromEnv({ MICRO_REGISTRY: 'memory' }), registryFromEnv({ MICRO_REGISTRY: 'memory' }));
    assert.equal(registryFromEnv({ MICRO_REGISTRY: 'mdns' }).kind, 'mdns');
  });

  it('explains unknown names, naming the variable and the choices', () => {
    assert.throws(() => registryFromEnv({ MICRO_REGISTRY: 'zookeeper' }), {
      name: 'RangeError',
      message: /MICRO_REGISTRY must be one of local, mdns, memory, consul, etcd; got "zookeeper"/,
    });
  });
});
