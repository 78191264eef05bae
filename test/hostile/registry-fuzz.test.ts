import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import { after, describe, it } from 'node:test';
import { Etcd3 } from 'etcd3';
import { consulRegistry, etcdRegistry, localRegistry, type Registry, type ServiceNode } from '../../src/index';
import { validateNode } from '../../src/registry/validate-node';
import { eventually } from '../support/basis';
import { startConsul } from '../support/consul-agent';
import { startEtcd } from '../support/etcd-server';
import { toolOrSkip } from '../support/external';
import { fuzzSeed, junkValues, prng } from './prng';

// Seeded fuzz of what other writers may store in the three registries that keep JSON (local files, etcd
// values, Consul's go-micro tags): whatever is there, discovery answers with valid nodes only, the real node
// among them, the registry keeps serving (a node registered after the junk is seen) and memory stays bounded.

const ENTRIES = 200;
const real: ServiceNode = { id: 'real-1', name: 'svc', version: '1', address: '127.0.0.1:7', metadata: { zone: 'a' } };
const late: ServiceNode = { ...real, id: 'late-1' };

async function survives(registry: Registry, what: string, seed: number): Promise<void> {
  const rss0 = process.memoryUsage().rss;
  let seen: ServiceNode[] = [];
  const stop = registry.watch('svc', (nodes) => (seen = nodes));
  for (let i = 0; i < 3; i++) {
    const nodes = await registry.getService('svc');
    for (const n of nodes) assert.doesNotThrow(() => validateNode(n, 'found'), `${what} (seed ${seed}): an invalid node was returned: ${JSON.stringify(n).slice(0, 300)}`);
    assert.ok(nodes.some((n) => n.id === real.id), `${what} (seed ${seed}): the real node is among the ${nodes.length} found`);
  }
  await registry.register(late, { ttlMs: 60_000 });
  await eventually(() => seen.some((n) => n.id === late.id), `${what} (seed ${seed}): a watcher to see the node registered after the junk`, 15_000);
  stop();
  const growthMb = (process.memoryUsage().rss - rss0) / 2 ** 20;
  console.log(`${what}: ${ENTRIES} junk entries (seed ${seed}), ${seen.length} valid nodes seen, RSS growth ${growthMb.toFixed(0)} MB`);
  assert.ok(growthMb < 150, `${what} (seed ${seed}): RSS grew ${growthMb.toFixed(0)} MB`);
}

describe('hostile: seeded fuzz of registry entries', () => {
  const seed = fuzzSeed();
  const dirs: string[] = [];
  after(async () => {
    await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
  });

  it('local: junk files of every shape in a service directory', async () => {
    const random = prng(seed);
    const junk = junkValues(random);
    const dir = mkdtempSync(join(tmpdir(), 'keel-fuzz-local-'));
    dirs.push(dir);
    const reports: string[] = [];
    const registry = localRegistry({ dir, rescanIntervalMs: 50, onError: (e) => reports.length < 10_000 && reports.push(e.message) });
    await registry.register(real, { ttlMs: 60_000 });
    for (let i = 0; i < ENTRIES; i++) {
      const body = random() < 0.2 ? Buffer.from(Array.from({ length: Math.floor(random() * 2000) }, () => Math.floor(random() * 256)))
        : JSON.stringify({ node: junk(), expiresAt: [Date.now() + 60_000, 'soon', null, 1e308, -1][Math.floor(random() * 5)], owner: junk() });
      writeFileSync(join(dir, 'svc', `${encodeURIComponent(`j${i}-${Math.floor(random() * 1e9)}`)}.json`), body);
    }
    await survives(registry, 'local', seed);
    await registry.close();
    assert.ok(reports.length <= ENTRIES, `each bad file is reported once at most (${reports.length} reports)`);
  });

  it('etcd: junk values under the service prefix', async (t) => {
    const server = await startEtcd('the etcd registry fuzz');
    if (server === undefined) return t.skip('KEEL_SKIP_E2E=1 and etcd could not be started');
    const raw = new Etcd3({ hosts: server.endpoint });
    const registry = etcdRegistry({ endpoints: server.endpoint });
    try {
      const random = prng(seed + 1);
      const junk = junkValues(random);
      await registry.register(real, { ttlMs: 60_000 });
      for (let i = 0; i < ENTRIES; i++) {
        const value = random() < 0.2 ? String.fromCharCode(...Array.from({ length: 50 }, () => Math.floor(random() * 0x500)))
          : JSON.stringify(random() < 0.5 ? { name: 'svc', version: '1', nodes: [junk(), junk()] } : junk());
        await raw.put(`/micro/registry/svc/junk-${i}`).value(value);
      }
      await survives(registry, 'etcd', seed);
    } finally {
      await registry.close();
      raw.close();
      await server.stop();
    }
  });

  it('consul: junk services with junk go-micro tags, zlib bombs among them', async (t) => {
    const binary = toolOrSkip('consul', 'Consul registry fuzz');
    if (binary === undefined) return t.skip('KEEL_SKIP_E2E=1 and consul is missing');
    const agent = await startConsul(binary);
    const registry = consulRegistry({ address: agent.address, waitMs: 2000 });
    try {
      const random = prng(seed + 2);
      const junk = junkValues(random);
      const hex = (text: string): string => deflateSync(Buffer.from(text)).toString('hex');
      // 32 MB of metadata in a 64 KB tag: read on every getService before the fix.
      const bomb = `t-${hex(`{"k":"${'a'.repeat(32 * 1024 * 1024)}"}`)}`;
      await registry.register(real, { ttlMs: 60_000 });
      let accepted = 0;
      for (let i = 0; i < ENTRIES / 2; i++) {
        const tags = Array.from({ length: Math.floor(random() * 6) }, () => [
          bomb, `t-${hex(JSON.stringify(junk()))}`, `e-${hex(JSON.stringify(junk()))}`, `v-${hex(String(junk()))}`, 't-zz', 'e-0', `t=${JSON.stringify(junk())}`,
        ][Math.floor(random() * 7)]!);
        const res = await fetch(`http://${agent.address}/v1/agent/service/register`, {
          method: 'PUT',
          body: JSON.stringify({ Name: 'svc', ID: `junk-${i}`, Address: ['127.0.0.1', '', 'x y', '::1'][Math.floor(random() * 4)], Port: Math.floor(random() * 70_000), Tags: tags }),
        });
        await res.text();
        if (res.ok) accepted++;
      }
      assert.ok(accepted > 0, 'Consul took some of the junk');
      await survives(registry, 'consul', seed);
    } finally {
      await registry.close();
      await agent.stop();
    }
  });
});
