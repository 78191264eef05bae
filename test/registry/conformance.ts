import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import type { Registry, ServiceNode } from '../../src/index';
import { eventually } from '../support/basis';

let seq = 0;
export const node = (name: string, extra: Partial<ServiceNode> = {}): ServiceNode => ({
  id: `${name}-${process.pid}-${++seq}`,
  name,
  version: '1.0.0',
  address: `127.0.0.1:${40000 + seq}`,
  metadata: { zone: 'a' },
  ...extra,
});

const ids = (nodes: ServiceNode[]): string[] => nodes.map((n) => n.id).sort();

/** The Registry contract, run against a real implementation with real time and short TTLs. */
export function registryConformance(kind: string, make: () => Registry): void {
  describe(`${kind} registry: the Registry contract`, () => {
    const registries: Registry[] = [];
    const fresh = (): Registry => {
      const r = make();
      registries.push(r);
      return r;
    };
    after(async () => {
      await Promise.all(registries.map((r) => r.close()));
    });

    it('finds a registered node, with all its fields', async () => {
      const r = fresh();
      const n = node(`svc-find-${kind}`, { metadata: { zone: 'b', 'x-y': 'z' } });
      await r.register(n, { ttlMs: 10_000 });
      assert.deepEqual(await r.getService(n.name), [n]);
      assert.deepEqual(await r.getService(`${n.name}-other`), []);
    });

    it('forgets a deregistered node, and deregistering twice is harmless', async () => {
      const r = fresh();
      const a = node(`svc-dereg-${kind}`);
      const b = node(a.name);
      await r.register(a, { ttlMs: 10_000 });
      await r.register(b, { ttlMs: 10_000 });
      await r.deregister(a);
      await r.deregister(a);
      assert.deepEqual(ids(await r.getService(a.name)), [b.id]);
    });

    it('drops a node not refreshed within its TTL, and keeps one that is', async () => {
      const r = fresh();
      const stale = node(`svc-ttl-${kind}`);
      const kept = node(stale.name);
      await r.register(stale, { ttlMs: 400 });
      await r.register(kept, { ttlMs: 400 });
      const refresh = setInterval(() => void r.register(kept, { ttlMs: 400 }), 100);
      try {
        await eventually(async () => ids(await r.getService(stale.name)).join() === kept.id, 'the stale node to expire', 5000);
        await new Promise((res) => setTimeout(res, 500));
        assert.deepEqual(ids(await r.getService(stale.name)), [kept.id], 'the refreshed node stays');
      } finally {
        clearInterval(refresh);
      }
    });

    it('tells a watcher when nodes join, leave and expire', async () => {
      const r = fresh();
      const name = `svc-watch-${kind}`;
      const seen: string[][] = [];
      const stop = r.watch(name, (nodes) => seen.push(ids(nodes)));
      const last = (): string => (seen.at(-1) ?? []).join();
      const a = node(name);
      const b = node(name);
      await r.register(a, { ttlMs: 10_000 });
      await eventually(() => last() === a.id, 'the watcher to see a join');
      await r.register(b, { ttlMs: 600 });
      await eventually(() => last() === [a.id, b.id].sort().join(), 'the watcher to see a second join');
      await eventually(() => last() === a.id, 'the watcher to see an expiry', 5000);
      await r.deregister(a);
      await eventually(() => last() === '', 'the watcher to see a leave');
      const count = seen.length;
      stop();
      await r.register(node(name), { ttlMs: 10_000 });
      await new Promise((res) => setTimeout(res, 300));
      assert.equal(seen.length, count, 'no calls after unsubscribing');
    });

    it('calls watchers only when the list changes', async () => {
      const r = fresh();
      const n = node(`svc-quiet-${kind}`);
      await r.register(n, { ttlMs: 10_000 });
      const seen: ServiceNode[][] = [];
      const stop = r.watch(n.name, (nodes) => seen.push(nodes));
      await eventually(() => seen.length >= 1, 'the first list');
      for (let i = 0; i < 5; i++) await r.register(n, { ttlMs: 10_000 });
      await new Promise((res) => setTimeout(res, 400));
      stop();
      assert.equal(seen.length, 1, `refreshing an unchanged node notified watchers ${seen.length - 1} extra times`);
    });

    it('lists the services with live nodes, each once, sorted; not those whose nodes left or expired', async () => {
      const r = fresh();
      const [x, y] = [`svc-list-b-${kind}-${process.pid}`, `svc-list-a-${kind}-${process.pid}`];
      const mine = (names: string[]): string[] => names.filter((n) => n === x || n === y);
      const a = node(x);
      const b = node(x);
      const c = node(y);
      await r.register(a, { ttlMs: 10_000 });
      await r.register(b, { ttlMs: 10_000 });
      await r.register(c, { ttlMs: 500 });
      const listed = await r.listServices();
      assert.deepEqual(mine(listed), [y, x], 'both, once each, in order');
      assert.deepEqual(listed, [...listed].sort(), 'sorted');
      assert.equal(new Set(listed).size, listed.length, 'distinct');
      await r.deregister(a);
      assert.deepEqual(mine(await r.listServices()), [y, x], 'one node left is enough');
      await r.deregister(b);
      await eventually(async () => mine(await r.listServices()).join() === y, 'the service without nodes to leave the list', 5000);
      await eventually(async () => mine(await r.listServices()).length === 0, 'the service whose node expired to leave the list', 5000);
    });

    it('rejects bad nodes and TTLs, naming the field', async () => {
      const r = fresh();
      await assert.rejects(r.register(node('svc-bad', { address: 'nope' }), { ttlMs: 1000 }), /address/);
      await assert.rejects(r.register(node('svc-bad', { id: '' }), { ttlMs: 1000 }), /node\.id/);
      await assert.rejects(r.register(node('svc-bad'), { ttlMs: -5 }), { name: 'RangeError', message: /ttlMs/ });
      await assert.rejects(r.register(node('svc-bad', { metadata: { n: 1 as unknown as string } }), { ttlMs: 1000 }), /metadata/);
    });
  });
}
