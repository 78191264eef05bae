import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { localRegistry, type ServiceNode } from '../../src/index';
import { thisProcess } from '../../src/registry/local/owner';
import { eventually } from '../support/basis';

const dirs: string[] = [];
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
const privateDir = (): string => {
  const d = mkdtempSync(join(tmpdir(), 'keel-owner-'));
  dirs.push(d);
  return d;
};
const node = (id: string): ServiceNode => ({ id, name: 'svc', version: '1', address: '127.0.0.1:1', metadata: {} });

describe('localRegistry: a node whose process is gone leaves at once, not at its TTL', () => {
  it('a SIGKILLed registrant disappears from a watcher within a rescan (TTL 60 s)', async () => {
    const dir = privateDir();
    const index = join(__dirname, '..', '..', 'src', 'index.js');
    const child = spawn(process.execPath, ['-e', `
      const { localRegistry } = require(${JSON.stringify(index)});
      localRegistry({ dir: ${JSON.stringify(dir)} })
        .register({ id: 'svc-child', name: 'svc', version: '1', address: '127.0.0.1:2', metadata: {} }, { ttlMs: 60000 })
        .then(() => console.log('ready'));
      setInterval(() => {}, 1000);`], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((resolve) => child.stdout.on('data', (d: Buffer) => d.toString().includes('ready') && resolve()));
    const registry = localRegistry({ dir }); // default rescan (1 s): the liveness look is what counts
    let seen: string[] = [];
    const stop = registry.watch('svc', (nodes) => (seen = nodes.map((n) => n.id)));
    await eventually(() => seen.includes('svc-child'), 'the child node to be seen');
    const killedAt = Date.now();
    child.kill('SIGKILL');
    await eventually(() => !seen.includes('svc-child'), 'the killed node to leave', 5000);
    const tookMs = Date.now() - killedAt;
    assert.ok(tookMs < 1000, `took ${tookMs} ms`);
    assert.deepEqual(await registry.getService('svc'), []);
    stop();
    await registry.close();
  });

  it('judges only what it can know: a reused pid is gone; another host or pid namespace, or no owner, waits for the TTL', async () => {
    const dir = privateDir();
    const me = thisProcess();
    assert.ok(me, 'this test runs where /proc tells a process start time');
    const service = join(dir, 'svc');
    mkdirSync(service, { mode: 0o700 });
    const write = (id: string, owner: unknown): void =>
      writeFileSync(join(service, `${id}.json`), JSON.stringify({ node: node(id), expiresAt: Date.now() + 60_000, owner }));
    write('reused-pid', { ...me, start: `${Number(me.start) + 1}` }); // this pid, but a process started at another time
    write('other-host', { ...me, host: `${me.host}-elsewhere`, pid: 999_999_999 });
    write('other-namespace', { ...me, pidNs: 'pid:[1]', pid: 999_999_999 });
    write('no-owner', undefined);
    write('alive', me);
    const registry = localRegistry({ dir });
    assert.deepEqual((await registry.getService('svc')).map((n) => n.id).sort(), ['alive', 'no-owner', 'other-host', 'other-namespace']);
    await registry.close();
  });

  it('writes its owner into the node file', async () => {
    const dir = privateDir();
    const registry = localRegistry({ dir });
    await registry.register(node('svc-self'), { ttlMs: 10_000 });
    const file = JSON.parse(readFileSync(join(dir, 'svc', 'svc-self.json'), 'utf8')) as { owner: unknown };
    assert.deepEqual(file.owner, thisProcess());
    await registry.close();
  });
});
