// scripts/tool-cache, the per-user cache the built tools (Consul, Jaeger, …, the go-micro peers, Node runtimes)
// live in, run for real against a throwaway cache directory with a cheap fake tool: its recipe writes a
// two-line shell script in place of a Go build, and counts its builds in a file.
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';

const script = join(__dirname, '..', '..', '..', 'scripts', 'tool-cache');
const platform = `${process.platform}-${execFileSync('uname', ['-m'], { encoding: 'utf8' }).trim()}`;
const work = mkdtempSync(join(tmpdir(), 'keel-tool-cache-'));
after(() => rmSync(work, { recursive: true, force: true }));

// Counts its builds in $COUNT (one line each); $SLOW seconds long; fails with $FAIL.
const recipe = `
  echo "build $$" >> "$COUNT"
  [ -z "$FAIL" ] || { echo "boom: $FAIL"; exit 3; }
  sleep "\${SLOW:-0}"
  printf '#!/bin/sh\\necho fake 1.0\\n' > "$KEEL_ENTRY_OUT/fake"
  chmod +x "$KEEL_ENTRY_OUT/fake"
  echo "version 1.0" >> "$KEEL_ENTRY_INFO"`;

interface Run { code: number | null; stderr: string; pid: number }
interface Cache { dir: string; entry: string; count: string; builds(): number }

let caches = 0;
function newCache(): Cache {
  const dir = join(work, `cache${++caches}`);
  const count = join(work, `count${caches}`);
  return {
    dir, count, entry: join(dir, platform, 'fake@1.0'),
    builds: () => (existsSync(count) ? readFileSync(count, 'utf8').split('\n').filter(Boolean).length : 0),
  };
}

let clones = 0;
const newClone = (): string => join(work, `clone${++clones}`);
const link = (clone: string): string => join(clone, '.tools', 'bin', 'fake');

/** `scripts/tool-cache ensure fake@1.0` for `clone`; `started` is called once the child runs (to kill it). */
function ensure(cache: Cache, clone: string, env: Record<string, string> = {}, started?: (pid: number) => void): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(script, ['ensure', 'fake@1.0', '--link', `${link(clone)}=fake`, '--step', '1 of 1', '--', 'sh', '-c', recipe], {
      env: { ...process.env, KEEL_TOOLS_CACHE: cache.dir, COUNT: cache.count, KEEL_TOOLS_HEARTBEAT_S: '1', SLOW: '0', FAIL: '', ...env },
      stdio: ['ignore', 'ignore', 'pipe'],
      detached: true,
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stderr, pid: child.pid as number }));
    started?.(child.pid as number);
  });
}

const runFake = (clone: string): string => execFileSync(link(clone), { encoding: 'utf8' }).trim();
const sha256 = (file: string): string => createHash('sha256').update(readFileSync(file)).digest('hex');

describe('scripts/tool-cache: built tools shared by every clone', { timeout: 60_000 }, () => {
  const cache = newCache();
  const first = newClone();

  it('the first install builds, saying which tool, n of N and where the log is, and links the clone to the entry', async () => {
    const run = await ensure(cache, first);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stderr, /\(1 of 1\) fake@1\.0: building \(log: \S+\/\.logs\/fake@1\.0\.log\)/);
    assert.match(run.stderr, /\(1 of 1\) fake@1\.0: built in \d+s/);
    assert.equal(cache.builds(), 1);
    assert.equal(runFake(first), 'fake 1.0');
    assert.equal(realpathSync(link(first)), realpathSync(join(cache.entry, 'fake')), 'the clone holds a link, not a copy');
    const entry = readFileSync(join(cache.entry, 'ENTRY'), 'utf8');
    assert.match(entry, /^entry fake@1\.0$/m);
    assert.match(entry, /^made build$/m);
    assert.match(entry, /^version 1\.0$/m, "the recipe's own lines");
    const st = statSync(join(cache.entry, 'fake'));
    assert.match(entry, new RegExp(`^file ${sha256(join(cache.entry, 'fake'))} ${st.size} ${Math.floor(st.mtimeMs / 1000)} fake$`, 'm'));
  });

  it('a second clone reuses the entry: no build', async () => {
    const second = newClone();
    const run = await ensure(cache, second);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stderr, /fake@1\.0: cached/);
    assert.doesNotMatch(run.stderr, /building/);
    assert.equal(cache.builds(), 1);
    assert.equal(runFake(second), 'fake 1.0');
  });

  it('an entry whose binary changed is rebuilt, not trusted', async () => {
    writeFileSync(join(cache.entry, 'fake'), '#!/bin/sh\necho tampered, and longer\n');
    const run = await ensure(cache, first);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stderr, /fake@1\.0: the cached entry is damaged \(fake changed \(size or mtime\)\); rebuilding it/);
    assert.equal(cache.builds(), 2);
    assert.equal(runFake(first), 'fake 1.0');
  });

  it('a clone linking to an entry checks its sha256: same size and mtime with other bytes is rebuilt too', async () => {
    const file = join(cache.entry, 'fake');
    const { size, atime, mtime } = statSync(file);
    writeFileSync(file, `#!/bin/sh\necho ${'x'.repeat(size - 16)}\n`);
    utimesSync(file, atime, mtime);
    assert.equal(statSync(file).size, size, 'the test forged the size');
    const run = await ensure(cache, newClone());
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stderr, /damaged \(fake does not match its sha256\)/);
    assert.equal(cache.builds(), 3);
  });

  it('a missing binary is rebuilt', async () => {
    rmSync(join(cache.entry, 'fake'));
    const run = await ensure(cache, first);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stderr, /damaged \(fake is missing\)/);
    assert.equal(cache.builds(), 4);
    assert.equal(runFake(first), 'fake 1.0');
  });
});

describe('scripts/tool-cache: concurrent and interrupted builds', { timeout: 60_000 }, () => {
  it('four clones installing one new entry at once build it once, and the builder reports progress while it runs', async () => {
    const cache = newCache();
    const clones = [newClone(), newClone(), newClone(), newClone()];
    const runs = await Promise.all(clones.map((c) => ensure(cache, c, { SLOW: '2.5' })));
    for (const run of runs) assert.equal(run.code, 0, run.stderr);
    assert.equal(cache.builds(), 1);
    const builders = runs.filter((r) => /fake@1\.0: building/.test(r.stderr));
    assert.equal(builders.length, 1, runs.map((r) => r.stderr).join('\n---\n'));
    assert.match(builders[0]?.stderr ?? '', /fake@1\.0: still building, \ds so far \(log: /);
    assert.ok(runs.some((r) => /another process is building it; waiting[^]*fake@1\.0: ready \(the other process built it\)/.test(r.stderr)), 'someone waited on the lock');
    for (const c of clones) assert.equal(runFake(c), 'fake 1.0');
  });

  it('a build killed midway (kill -9) leaves no entry; the next install builds it whole and clears the leftovers', async () => {
    const cache = newCache();
    const clone = newClone();
    const killed = await ensure(cache, clone, { SLOW: '30' }, (pid) => {
      const poll = setInterval(() => {
        if (cache.builds() === 0) return;
        clearInterval(poll);
        process.kill(-pid, 'SIGKILL');
      }, 50);
    });
    assert.equal(killed.code, null, 'killed');
    assert.equal(existsSync(cache.entry), false, 'no entry after the kill');
    assert.ok(readdirSync(join(cache.dir, platform, '.tmp')).length > 0, 'the half-built output is left in .tmp');
    const run = await ensure(cache, clone);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stderr, /fake@1\.0: building/);
    assert.equal(cache.builds(), 2);
    assert.equal(runFake(clone), 'fake 1.0');
    assert.deepEqual(readdirSync(join(cache.dir, platform, '.tmp')), []);
  });

  it('when only the script is killed, its build step left running does not keep the entry locked', async () => {
    const cache = newCache();
    const clone = newClone();
    const orphaned = spawn(script, ['ensure', 'fake@1.0', '--link', `${link(clone)}=fake`, '--', 'sh', '-c', recipe], {
      env: { ...process.env, KEEL_TOOLS_CACHE: cache.dir, COUNT: cache.count, SLOW: '30', FAIL: '' },
      stdio: 'ignore',
      detached: true,
    });
    try {
      await new Promise<void>((resolve) => {
        const poll = setInterval(() => {
          if (cache.builds() === 0) return;
          clearInterval(poll);
          orphaned.once('exit', () => resolve());
          orphaned.kill('SIGKILL');
        }, 50);
      });
      const run = await ensure(cache, clone, { KEEL_TOOLS_LOCK_TIMEOUT_S: '10' });
      assert.equal(run.code, 0, run.stderr);
      assert.doesNotMatch(run.stderr, /waiting/);
      assert.equal(cache.builds(), 2);
      assert.equal(runFake(clone), 'fake 1.0');
    } finally {
      try {
        process.kill(-(orphaned.pid as number), 'SIGKILL'); // the orphaned build step
      } catch {
        // already gone
      }
    }
  });

  it('a failing build leaves no entry and shows the end of its log', async () => {
    const cache = newCache();
    const run = await ensure(cache, newClone(), { FAIL: 'no compiler' });
    assert.equal(run.code, 1);
    assert.match(run.stderr, /boom: no compiler/);
    assert.match(run.stderr, /fake@1\.0: failed after \d+s \(exit 3; whole log: \S+fake@1\.0\.log\)/);
    assert.equal(existsSync(cache.entry), false);
  });
});

describe('scripts/tool-cache: what it refuses', { timeout: 30_000 }, () => {
  it('an entry name that could leave the cache directory', async () => {
    const cache = newCache();
    const out = await new Promise<Run>((resolve) => {
      const child = spawn(script, ['ensure', '../up@1', '--', 'true'], { env: { ...process.env, KEEL_TOOLS_CACHE: cache.dir }, stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => (stderr += d));
      child.on('close', (code) => resolve({ code, stderr, pid: 0 }));
    });
    assert.equal(out.code, 2);
    assert.match(out.stderr, /entry '\.\.\/up@1' is not NAME@KEY/);
  });

  it('a cache directory others may write to (what is in it is run as programs)', async () => {
    const cache = newCache();
    const ok = await ensure(cache, newClone());
    assert.equal(ok.code, 0, ok.stderr);
    chmodSync(cache.dir, 0o777);
    const run = await ensure(cache, newClone());
    assert.equal(run.code, 1);
    assert.match(run.stderr, /must be owned by you and writable by nobody else/);
  });
});
