import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, chownSync, closeSync, ftruncateSync, mkdirSync, mkdtempSync, openSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { after, describe, it } from 'node:test';
import { localRegistry, type ServiceNode } from '../../src/index';
import { defaultRegistryDir } from '../../src/registry/local/private-dir';
import { eventually } from '../support/basis';
import { node } from './conformance';

const dirs: string[] = [];
const tempDir = (): string => {
  const d = mkdtempSync(join(tmpdir(), 'keel-local-safety-'));
  dirs.push(d);
  return d;
};
after(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});
const isRoot = process.getuid?.() === 0;

describe('localRegistry: whose directory', () => {
  it('defaults to a per-user directory: XDG_RUNTIME_DIR/keel-registry, else <tmpdir>/keel-registry-<uid>', () => {
    assert.equal(defaultRegistryDir({ XDG_RUNTIME_DIR: '/run/user/1000' }), '/run/user/1000/keel-registry');
    assert.equal(defaultRegistryDir({}), join(tmpdir(), `keel-registry-${process.getuid?.()}`));
  });

  it('creates the default directory 0700', async () => {
    const runtime = tempDir();
    const saved = process.env.XDG_RUNTIME_DIR;
    process.env.XDG_RUNTIME_DIR = runtime;
    try {
      const r = localRegistry();
      const dir = join(runtime, 'keel-registry');
      assert.equal(statSync(dir).mode & 0o777, 0o700);
      const n = node('private');
      await r.register(n, { ttlMs: 10_000 });
      assert.equal(statSync(join(dir, 'private')).mode & 0o777, 0o700, 'a service directory is private too');
      await r.close();
    } finally {
      if (saved === undefined) delete process.env.XDG_RUNTIME_DIR;
      else process.env.XDG_RUNTIME_DIR = saved;
    }
  });

  it('refuses a directory group or others can write, naming it, unless allowSharedDirectory', async () => {
    for (const mode of [0o770, 0o707, 0o1777]) {
      const dir = tempDir();
      chmodSync(dir, mode);
      assert.throws(() => localRegistry({ dir }), (err: Error) => err.message.includes(dir) && /writable by/.test(err.message) &&
        /allowSharedDirectory/.test(err.message));
      const r = localRegistry({ dir, allowSharedDirectory: true });
      const n = node('shared-on-purpose');
      await r.register(n, { ttlMs: 10_000 });
      assert.deepEqual((await r.getService(n.name)).map((x) => x.id), [n.id]);
      await r.close();
    }
  });

  it('refuses a directory owned by another user, naming it, unless allowSharedDirectory', { skip: isRoot ? false : 'chown to another user needs root' }, async () => {
    const dir = tempDir();
    chownSync(dir, 65534, 65534); // nobody
    assert.throws(() => localRegistry({ dir }), (err: Error) => err.message.includes(dir) && /owned by uid 65534/.test(err.message));
    const r = localRegistry({ dir, allowSharedDirectory: true });
    await r.getService('any');
    await r.close();
  });

  it('rejects bad options, naming them', () => {
    assert.throws(() => localRegistry({ dir: tempDir(), allowSharedDirectory: 'yes' as unknown as boolean }), { name: 'TypeError', message: /allowSharedDirectory/ });
    assert.throws(() => localRegistry({ dir: tempDir(), maxFileBytes: 0 }), { name: 'RangeError', message: /maxFileBytes/ });
    assert.throws(() => localRegistry({ dir: tempDir(), onError: 1 as unknown as () => void }), { name: 'TypeError', message: /onError/ });
  });
});

describe('localRegistry: what it reads', () => {
  it('a FIFO named *.json never blocks a scan: getService returns, watchers see new nodes, the process exits', async () => {
    const dir = tempDir();
    const good = node('fifo');
    const setup = localRegistry({ dir });
    await setup.register(good, { ttlMs: 60_000 });
    await setup.close();
    execFileSync('mkfifo', [join(dir, 'fifo', 'evil.json')]);
    // In a child process: before, the FIFO blocked a libuv thread for good — getService never returned
    // and the process could not exit. Now the child must print its result and exit by itself.
    const script = `
      const { localRegistry } = require(${JSON.stringify(join(__dirname, '..', '..', 'src', 'index.js'))});
      const reports = [];
      const r = localRegistry({ dir: ${JSON.stringify(dir)}, rescanIntervalMs: 50, onError: (e) => reports.push(e.message) });
      const seen = [];
      r.watch('fifo', (nodes) => seen.push(nodes.map((n) => n.id)));
      (async () => {
        const first = (await r.getService('fifo')).map((n) => n.id);
        await r.register({ ...${JSON.stringify(good)}, id: 'late' }, { ttlMs: 60000 });
        const t0 = Date.now();
        while (!seen.some((ids) => ids.includes('late')) && Date.now() - t0 < 5000) await new Promise((res) => setTimeout(res, 20));
        await new Promise((res) => setTimeout(res, 300)); // a few more rescans
        process.stdout.write(JSON.stringify({ first, seen: seen.at(-1), reports }));
        await r.close();
      })();`;
    const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d));
    const t0 = Date.now();
    const exited = await new Promise<number | null>((resolve) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        resolve(null);
      }, 15_000);
      child.once('exit', (code) => {
        clearTimeout(timer);
        resolve(code);
      });
    });
    assert.equal(exited, 0, `the process did not exit by itself within 15 s (output: ${out || 'none'})`);
    const result = JSON.parse(out) as { first: string[]; seen: string[]; reports: string[] };
    assert.deepEqual(result.first, [good.id]);
    assert.deepEqual(result.seen.sort(), [good.id, 'late'].sort(), 'the watcher saw the new node');
    assert.equal(result.reports.length, 1, `reported once: ${result.reports.join(' | ')}`);
    assert.match(result.reports[0] as string, /evil\.json: it is a FIFO, not a regular file/);
    assert.ok(Date.now() - t0 < 15_000);
  });

  it('does not read a 50 MB junk file (no stall, no memory), and reports it once', async () => {
    const dir = tempDir();
    const reports: string[] = [];
    const r = localRegistry({ dir, rescanIntervalMs: 100, onError: (e) => reports.push(e.message) });
    const good = node('junk');
    await r.register(good, { ttlMs: 60_000 });
    const fd = openSync(join(dir, 'junk', 'junk.json'), 'w');
    ftruncateSync(fd, 50 * 1024 * 1024);
    closeSync(fd);
    const delay = monitorEventLoopDelay({ resolution: 1 });
    delay.enable();
    const rss0 = process.memoryUsage().rss;
    let rssMax = rss0;
    const sampler = setInterval(() => (rssMax = Math.max(rssMax, process.memoryUsage().rss)), 5);
    const seen: ServiceNode[][] = [];
    const stop = r.watch('junk', (nodes) => seen.push(nodes));
    const t0 = Date.now();
    while (Date.now() - t0 < 2000) {
      assert.deepEqual((await r.getService('junk')).map((n) => n.id), [good.id]);
      await new Promise((res) => setTimeout(res, 100));
    }
    clearInterval(sampler);
    delay.disable();
    stop();
    await r.close();
    const growthMb = (rssMax - rss0) / 2 ** 20;
    // Before: every scan read the whole file (457 MB RSS growth and a 64 ms stall measured here).
    console.log(`50 MB junk file, 2 s of 100 ms rescans: max event-loop delay ${(delay.max / 1e6).toFixed(1)} ms, RSS growth ${growthMb.toFixed(0)} MB`);
    assert.ok(growthMb < 40, `RSS grew ${growthMb.toFixed(0)} MB: the junk file was read`);
    assert.deepEqual(reports, [`localRegistry: skipping ${join(dir, 'junk', 'junk.json')}: it is 52428800 bytes, over maxFileBytes (65536): not read`]);
  });

  it('reports each malformed, wrong-type, directory and symlink-loop entry once, with its path and why', async () => {
    const dir = tempDir();
    const reports: string[] = [];
    const r = localRegistry({ dir, rescanIntervalMs: 50, onError: (e) => reports.push(e.message) });
    const good = node('bad');
    await r.register(good, { ttlMs: 60_000 });
    const svc = join(dir, 'bad');
    const bad: Record<string, RegExp> = {
      'malformed.json': /not JSON/,
      'array.json': /expiresAt is not a number/,
      'no-expiry.json': /expiresAt is not a number/,
      'wrong-node.json': /node\.address/,
      'not-object.json': /not a JSON object/,
      'dir.json': /a directory, not a regular file/,
      'loop.json': /a symbolic link, not a regular file/,
      'dangling.json': /a symbolic link, not a regular file/,
    };
    writeFileSync(join(svc, 'malformed.json'), '{"node": ');
    writeFileSync(join(svc, 'array.json'), '[1, 2]');
    writeFileSync(join(svc, 'no-expiry.json'), JSON.stringify({ node: good }));
    writeFileSync(join(svc, 'wrong-node.json'), JSON.stringify({ node: { ...good, id: 'x', address: 42 }, expiresAt: Date.now() + 60_000 }));
    writeFileSync(join(svc, 'not-object.json'), 'null');
    mkdirSync(join(svc, 'dir.json'));
    symlinkSync('loop.json', join(svc, 'loop.json'));
    symlinkSync('nowhere', join(svc, 'dangling.json'));
    writeFileSync(join(svc, 'README'), 'not a .json name: not a node file, not reported');
    const seen: string[][] = [];
    const stop = r.watch('bad', (nodes) => seen.push(nodes.map((n) => n.id)));
    for (let i = 0; i < 5; i++) assert.deepEqual((await r.getService('bad')).map((n) => n.id), [good.id]);
    await eventually(() => reports.length >= Object.keys(bad).length, 'every bad entry to be reported');
    await new Promise((res) => setTimeout(res, 400)); // several more rescans: nothing reported twice
    stop();
    await r.close();
    assert.equal(reports.length, Object.keys(bad).length, `reports:\n${reports.join('\n')}`);
    for (const [file, why] of Object.entries(bad)) {
      const found = reports.filter((m) => m.includes(`${join(svc, file)}: `));
      assert.equal(found.length, 1, `${file} reported ${found.length} times`);
      assert.match(found[0] as string, why, file);
    }
    assert.deepEqual(seen.at(-1), [good.id]);
  });

  it('reads a changed file again, and an unchanged one not', async () => {
    const dir = tempDir();
    const reports: string[] = [];
    const r = localRegistry({ dir, onError: (e) => reports.push(e.message) });
    const n = node('change');
    await r.register(n, { ttlMs: 60_000 });
    const file = join(dir, 'change', 'x.json');
    writeFileSync(file, 'junk');
    await r.getService('change');
    await r.getService('change');
    assert.equal(reports.length, 1);
    writeFileSync(file, JSON.stringify({ node: { ...n, id: 'x' }, expiresAt: Date.now() + 60_000 }));
    assert.deepEqual((await r.getService('change')).map((x) => x.id).sort(), [n.id, 'x'].sort());
    await r.register({ ...n, metadata: { zone: 'changed' } }, { ttlMs: 60_000 });
    assert.equal((await r.getService('change')).find((x) => x.id === n.id)?.metadata.zone, 'changed');
    await r.close();
  });
});
