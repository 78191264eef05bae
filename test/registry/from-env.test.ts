import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { registryFromEnv } from '../../src/index';

describe('registryFromEnv', () => {
  it('defaults to the local registry, one shared instance per configuration', () => {
    const a = registryFromEnv({});
    assert.equal(a.kind, 'local');
    assert.equal(registryFromEnv({ MICRO_REGISTRY: '' }), a);
    const dir = mkdtempSync(join(tmpdir(), 'keel-from-env-'));
    const b = registryFromEnv({ MICRO_REGISTRY: 'local', MICRO_REGISTRY_ADDRESS: dir });
    assert.notEqual(b, a);
    rmSync(dir, { recursive: true });
    // The host's shared temp dir itself is refused: every user could register nodes there.
    assert.throws(() => registryFromEnv({ MICRO_REGISTRY: 'local', MICRO_REGISTRY_ADDRESS: tmpdir() }), /refusing the registry directory/);
  });

  it('picks consul and etcd by name, with MICRO_REGISTRY_ADDRESS', async () => {
    const consul = registryFromEnv({ MICRO_REGISTRY: 'consul', MICRO_REGISTRY_ADDRESS: '127.0.0.1:1' });
    const etcd = registryFromEnv({ MICRO_REGISTRY: 'etcd', MICRO_REGISTRY_ADDRESS: '127.0.0.1:1' });
    assert.deepEqual([consul.kind, etcd.kind], ['consul', 'etcd']);
    // Nothing listens on port 1: both fail with their address in the message, rather than answering [].
    await assert.rejects(consul.getService('x'), /127\.0\.0\.1:1/);
    await assert.rejects(etcd.getService('x'));
    await Promise.all([consul.close(), etcd.close()]);
  });

  it('picks memory and mdns by name', () => {
    assert.equal(registryFromEnv({ MICRO_REGISTRY: 'memory' }).kind, 'memory');
    assert.equal(registryFromEnv({ MICRO_REGISTRY: 'memory' }), registryFromEnv({ MICRO_REGISTRY: 'memory' }));
    assert.equal(registryFromEnv({ MICRO_REGISTRY: 'mdns' }).kind, 'mdns');
  });

  it('picks kubernetes by name, with MICRO_REGISTRY_ADDRESS as the kubeconfig path', () => {
    const dir = mkdtempSync(join(tmpdir(), 'keel-from-env-k8s-'));
    const file = join(dir, 'config');
    writeFileSync(file, 'apiVersion: v1\nclusters:\n- cluster:\n    server: https://127.0.0.1:1\n  name: c\ncontexts:\n- context:\n    cluster: c\n  name: x\ncurrent-context: x\n');
    try {
      assert.equal(registryFromEnv({ MICRO_REGISTRY: 'kubernetes', MICRO_REGISTRY_ADDRESS: file }).kind, 'kubernetes');
      assert.throws(() => registryFromEnv({ MICRO_REGISTRY: 'kubernetes', MICRO_REGISTRY_ADDRESS: join(dir, 'missing') }), /kubernetesRegistry: kubeconfig: cannot read/);
    } finally {
      rmSync(dir, { recursive: true });
    }
  });

  it('explains unknown names, naming the variable and the choices', () => {
    assert.throws(() => registryFromEnv({ MICRO_REGISTRY: 'zookeeper' }), {
      name: 'RangeError',
      message: /MICRO_REGISTRY must be one of local, mdns, memory, consul, etcd, kubernetes; got "zookeeper"/,
    });
  });
});
