import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chownSync, existsSync, lchownSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { localRegistry, type ServiceNode } from '../../src/index';
import { eventually } from '../support/basis';

// Row 1 of issue 20 (the local registry follows symlinks and sweeps what it finds) and row 9 (a killed
// server's node stays listed while its process is a zombie). Every trap is planted in a fresh temp directory.

const dirs: string[] = [];
const tempDir = (prefix = 'keel-hostile-'): string => {
  const d = mkdtempSync(join(tmpdir(), prefix));
  dirs.push(d);
  return d;
};
after(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});
const isRoot = process.getuid?.() === 0;
const longAgo = new Date(Date.now() - 3_600_000);

/** A directory that is not the registry's, full of what a sweep used to remove: the victim. */
function victim(): { dir: string; files: string[] } {
  const dir = tempDir('keel-victim-');
  const expired = (id: string): string => JSON.stringify({ node: { id, name: 'victim', version: '1', address: '127.0.0.1:1', metadata: {} }, expiresAt: 1 });
  const files: Record<string, string> = {
    '.bashrc': 'alias ls=ls', '.env': 'SECRET=1', 'X.json': expired('X'), 'other.json': expired('someone-else'),
    '.X.123.4.tmp': 'keel-shaped temp name',
  };
  for (const [name, text] of Object.entries(files)) {
    writeFileSync(join(dir, name), text);
    utimesSync(join(dir, name), longAgo, longAgo);
  }
  return { dir, files: Object.keys(files).sort() };
}

const node = (name: string, id = `${name}-1`): ServiceNode => ({ id, name, version: '1', address: '127.0.0.1:1', metadata: {} });
const clockAt = (ms: () => number) => ({ now: ms });

describe('hostile: the local registry never touches what it did not write', () => {
  it('a service directory that is a symbolic link is refused, naming it; nothing in the linked directory is removed', async () => {
    const root = tempDir();
    const v = victim();
    symlinkSync(v.dir, join(root, 'victim'));
    const reports: string[] = [];
    let now = Date.now();
    const r = localRegistry({ dir: root, sweepAfterMs: 1, rescanIntervalMs: 20, onError: (e) => reports.push(e.message), clock: clockAt(() => now) });
    now += 3_600_000; // everything in the victim directory is long expired
    await assert.rejects(r.getService('victim'), (err: Error) => err.message.includes(join(root, 'victim')) && /symbolic link/.test(err.message));
    await assert.rejects(r.register(node('victim'), { ttlMs: 1000 }), /symbolic link/);
    await assert.rejects(r.deregister(node('victim', 'X')), /symbolic link/);
    const stop = r.watch('victim', () => undefined);
    await eventually(() => reports.length > 0, 'the watcher to report the link');
    await new Promise((res) => setTimeout(res, 200)); // rescans: still nothing removed, reported once
    assert.deepEqual(await r.listServices(), []);
    stop();
    await r.close();
    assert.deepEqual(readdirSync(v.dir).sort(), v.files, 'the linked directory is untouched');
    assert.equal(reports.filter((m) => m.includes(join(root, 'victim'))).length, 1, reports.join('\n'));
  });

  it('a registry root that is a symbolic link is refused at construction, naming it, even with allowSharedDirectory', () => {
    const v = victim();
    const link = join(tempDir(), 'keel-registry');
    symlinkSync(v.dir, link);
    for (const allowSharedDirectory of [false, true]) {
      assert.throws(() => localRegistry({ dir: link, allowSharedDirectory }), (err: Error) => err.message.includes(link) && /symbolic link/.test(err.message));
    }
    assert.deepEqual(readdirSync(v.dir).sort(), v.files);
  });

  it("another user's link at this user's default path in a shared tmp is refused", { skip: isRoot ? false : 'lchown to another user needs root' }, () => {
    const shared = tempDir();
    const v = victim();
    const link = join(shared, `keel-registry-${process.getuid?.()}`);
    symlinkSync(v.dir, link);
    lchownSync(link, 65534, 65534);
    const saved = [process.env.XDG_RUNTIME_DIR, process.env.TMPDIR];
    delete process.env.XDG_RUNTIME_DIR;
    process.env.TMPDIR = shared;
    try {
      assert.throws(() => localRegistry(), (err: Error) => err.message.includes(link) && /symbolic link/.test(err.message));
    } finally {
      if (saved[0] !== undefined) process.env.XDG_RUNTIME_DIR = saved[0];
      if (saved[1] === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = saved[1];
    }
    assert.deepEqual(readdirSync(v.dir).sort(), v.files);
  });

  it("a service directory another user owns is refused in a private registry", { skip: isRoot ? false : 'chown to another user needs root' }, async () => {
    const root = tempDir();
    mkdirSync(join(root, 'theirs'), { mode: 0o700 });
    chownSync(join(root, 'theirs'), 65534, 65534);
    const r = localRegistry({ dir: root });
    await assert.rejects(r.getService('theirs'), (err: Error) => err.message.includes(join(root, 'theirs')) && /owned by uid 65534/.test(err.message));
    await r.close();
  });

  it('sweeps only its own names: expired node files named for their node and its own temp files; nothing else', async () => {
    const root = tempDir();
    let now = Date.now();
    const r = localRegistry({ dir: root, sweepAfterMs: 1000, clock: clockAt(() => now) });
    const mine = node('svc', 'mine');
    await r.register(mine, { ttlMs: 1000 });
    const svc = join(root, 'svc');
    const planted = ['.bashrc', '.env', '.hidden.tmp', 'planted.json', 'README'];
    writeFileSync(join(svc, '.bashrc'), 'x');
    writeFileSync(join(svc, '.env'), 'x');
    writeFileSync(join(svc, '.hidden.tmp'), 'not keel-shaped: no pid and seq');
    // Node-shaped and expired, but not named for its node: not a file keel wrote.
    writeFileSync(join(svc, 'planted.json'), JSON.stringify({ node: node('svc', 'other'), expiresAt: 1 }));
    writeFileSync(join(svc, 'README'), 'x');
    writeFileSync(join(svc, '.mine.999.0.tmp'), 'a crashed writer left this');
    for (const f of [...planted, '.mine.999.0.tmp']) utimesSync(join(svc, f), longAgo, longAgo);
    now += 3_600_000;
    assert.deepEqual(await r.getService('svc'), []);
    await r.close();
    assert.deepEqual(readdirSync(svc).sort(), planted.sort(), 'only mine.json and the keel temp file were removed');
  });

  it('a killed owner that is still a zombie (its parent never reaps it) counts as gone at once', async () => {
    const root = tempDir();
    const index = join(__dirname, '..', '..', 'src', 'index.js');
    const registrant = `
      const { localRegistry } = require(${JSON.stringify(index)});
      localRegistry({ dir: ${JSON.stringify(root)} })
        .register({ id: 'zombie', name: 'svc', version: '1', address: '127.0.0.1:2', metadata: {} }, { ttlMs: 60000 })
        .then(() => console.log('ready ' + process.pid));
      setInterval(() => {}, 1000);`;
    // sh starts the registrant, then becomes `sleep`, which never waits for it: once killed, it stays a zombie.
    const parent = spawn('sh', ['-c', `"$0" -e "$1" & exec sleep 20`, process.execPath, registrant], { stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      const pid = await new Promise<number>((resolve) => parent.stdout.on('data', (d: Buffer) => {
        const m = /ready (\d+)/.exec(d.toString());
        if (m) resolve(Number(m[1]));
      }));
      const r = localRegistry({ dir: root });
      assert.deepEqual((await r.getService('svc')).map((n) => n.id), ['zombie']);
      process.kill(pid, 'SIGKILL');
      await eventually(() => existsSync(`/proc/${pid}`) && /\) Z /.test(readFileSync(`/proc/${pid}/stat`, 'latin1')), 'the registrant to be a zombie');
      assert.deepEqual(await r.getService('svc'), [], 'a zombie serves nothing');
      await r.close();
    } finally {
      parent.kill('SIGKILL');
    }
  });
});
