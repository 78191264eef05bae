import assert from 'node:assert/strict';
import { fork } from 'node:child_process';
import { mkdtempSync, readdirSync, writeFileSync, utimesSync, existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { localRegistry, type ServiceNode } from '../../src/index';
import { eventually } from '../support/basis';
import { FakeClock } from '../support/fake-clock';
import { node, registryConformance } from './conformance';

const dirs: string[] = [];
const tempDir = (): string => {
  const d = mkdtempSync(join(tmpdir(), 'keel-local-test-'));
  dirs.push(d);
  return d;
};
after(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

registryConformance('local', () => localRegistry({ dir: tempDir() }));

describe('localRegistry', () => {
  it('expires by the injected clock', async () => {
    const clock = new FakeClock(Date.now());
    const r = localRegistry({ dir: tempDir(), clock });
    const n = node('local-clock');
    await r.register(n, { ttlMs: 5000 });
    clock.advance(4999);
    assert.equal((await r.getService(n.name)).length, 1);
    clock.advance(1);
    assert.equal((await r.getService(n.name)).length, 0);
    await r.close();
  });

  it('is shared by separate registry instances on one directory (as by separate processes)', async () => {
    const dir = tempDir();
    const writer = localRegistry({ dir });
    const reader = localRegistry({ dir });
    const seen: ServiceNode[][] = [];
    const stop = reader.watch('shared', (nodes) => seen.push(nodes));
    const n = node('shared');
    const t0 = Date.now();
    await writer.register(n, { ttlMs: 10_000 });
    await eventually(() => seen.at(-1)?.[0]?.id === n.id, 'the reader to see the node');
    const latency = Date.now() - t0;
    assert.ok(latency < 1000, `watch latency ${latency} ms`);
    stop();
    await Promise.all([writer.close(), reader.close()]);
  });

  it('never shows a torn or partial node while many writers refresh at once', async () => {
    const dir = tempDir();
    const writers = Array.from({ length: 8 }, () => localRegistry({ dir }));
    const nodes = Array.from({ length: 40 }, (_, i) => node('busy', { metadata: { blob: 'x'.repeat(2000 + i) } }));
    const reader = localRegistry({ dir });
    await Promise.all(nodes.map((n, i) => (writers[i % writers.length] as ReturnType<typeof localRegistry>).register(n, { ttlMs: 60_000 })));
    let reads = 0;
    const churn = (async () => {
      for (let round = 0; round < 10; round++) {
        await Promise.all(nodes.map((n, i) => (writers[i % writers.length] as ReturnType<typeof localRegistry>).register(n, { ttlMs: 60_000 })));
      }
    })();
    let done = false;
    void churn.then(() => (done = true));
    while (!done) {
      const found = await reader.getService('busy');
      reads++;
      assert.equal(found.length, nodes.length, 'a reader saw a missing node during a refresh');
      for (const f of found) assert.equal(f.metadata.blob?.length, 2000 + nodes.findIndex((n) => n.id === f.id));
    }
    assert.ok(reads > 0);
    assert.deepEqual(readdirSync(join(dir, 'busy')).filter((f) => f.endsWith('.tmp')), [], 'temp files left behind');
    await Promise.all([...writers, reader].map((r) => r.close()));
  });

  it('sweeps files long past their expiry and leftover temp files, but not live ones', async () => {
    const dir = tempDir();
    const clock = new FakeClock(Date.now());
    const r = localRegistry({ dir, clock, sweepAfterMs: 1000 });
    const live = node('sweep');
    const dead = node('sweep');
    await r.register(live, { ttlMs: 60_000 });
    await r.register(dead, { ttlMs: 100 });
    const temp = join(dir, 'sweep', '.orphan.1.2.tmp');
    writeFileSync(temp, '{"half":');
    utimesSync(temp, new Date(Date.now() - 10_000), new Date(Date.now() - 10_000));
    clock.advance(500);
    await r.getService('sweep');
    assert.ok(existsSync(join(dir, 'sweep', `${dead.id}.json`)), 'swept before sweepAfterMs');
    clock.advance(1000);
    assert.deepEqual((await r.getService('sweep')).map((n) => n.id), [live.id]);
    assert.deepEqual(readdirSync(join(dir, 'sweep')).sort(), [`${live.id}.json`]);
    await r.close();
  });

  it('ignores garbage files and keeps service names with odd characters apart', async () => {
    const dir = tempDir();
    const reports: string[] = [];
    const r = localRegistry({ dir, onError: (e) => reports.push(e.message) });
    const odd = node('..', { name: '..' });
    const slash = node('a/b', { name: 'a/b' });
    await r.register(odd, { ttlMs: 10_000 });
    await r.register(slash, { ttlMs: 10_000 });
    writeFileSync(join(dir, 'a%2Fb', 'junk.json'), 'not json');
    assert.deepEqual((await r.getService('..')).map((n) => n.id), [odd.id]);
    assert.deepEqual((await r.getService('a/b')).map((n) => n.id), [slash.id]);
    assert.deepEqual(await r.getService('a'), []);
    assert.deepEqual(reports, [`localRegistry: skipping ${join(dir, 'a%2Fb', 'junk.json')}: it is not JSON (Unexpected token 'o', "not json" is not valid JSON)`]);
    await r.close();
  });

  it('lets a server in another process be found and called', async () => {
    const dir = tempDir();
    const child = fork(join(__dirname, '..', '..', 'examples', 'basis', 'server.js'), [], {
      env: { ...process.env, MICRO_REGISTRY: 'local', MICRO_REGISTRY_ADDRESS: dir },
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    });
    try {
      const ready = await new Promise<{ id: string }>((resolve, reject) => {
        child.once('message', (m) => resolve(m as { id: string }));
        child.once('exit', (code) => reject(new Error(`server exited ${code}`)));
      });
      const r = localRegistry({ dir });
      const found = await r.getService('basis');
      assert.deepEqual(found.map((n) => n.id), [ready.id]);
      await r.close();
    } finally {
      child.kill('SIGTERM');
      const [code, signal] = await new Promise<[number | null, string | null]>((res) => child.once('exit', (c, s) => res([c, s])));
      assert.deepEqual([code, signal], [0, null], 'the server exits cleanly on SIGTERM');
    }
    const r = localRegistry({ dir });
    assert.deepEqual(await r.getService('basis'), [], 'the stopped server deregistered');
    await r.close();
  });

  it('rejects bad options, naming them', () => {
    assert.throws(() => localRegistry({ dir: '' }), { name: 'TypeError', message: /dir/ });
    assert.throws(() => localRegistry({ rescanIntervalMs: 0 }), { name: 'RangeError', message: /rescanIntervalMs/ });
    assert.throws(() => localRegistry({ sweepAfterMs: -1 }), { name: 'RangeError', message: /sweepAfterMs/ });
  });
});
