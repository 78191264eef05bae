// A fresh clone's `npm install` must leave package-lock.json as committed. npm 11.6.1 and 11.6.2 (bundled with
// Node 24 for a while) mark packages `"peer": true` that other npm versions do not (npm/cli#8579, reverted by
// #8645 in 11.6.3), so with them every install rewrote the lock. package.json's devEngines refuses those two
// (npm fails with EBADDEVENGINES before it writes anything, saying which npm it wants); every other npm from 10
// on writes the committed lock byte for byte (checked by hand with 10.8.2, 10.9.2, 11.6.2, 11.19.1).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';

const root = join(__dirname, '..', '..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
  dependencies: Record<string, string>; devDependencies: Record<string, string>;
  devEngines?: { packageManager?: { name?: string; version?: string; onFail?: string } };
};

/** Whether `version` (x.y.z) satisfies `range`: `||` of space-separated `>=`, `>`, `<=`, `<` comparators. */
function satisfies(version: string, range: string): boolean {
  const parse = (v: string): number[] => v.split('.').map(Number);
  const cmp = (a: number[], b: number[]): number => a.map((x, i) => x - (b[i] ?? 0)).find((d) => d !== 0) ?? 0;
  return range.split('||').some((set) => set.trim().split(/\s+/).every((c) => {
    const m = /^(>=|<=|>|<)(\d+\.\d+\.\d+)$/.exec(c);
    assert.ok(m, `a comparator this check reads: ${c}`);
    const d = cmp(parse(version), parse(m[2] as string));
    return { '>=': d >= 0, '<=': d <= 0, '>': d > 0, '<': d < 0 }[m[1] as '>=' | '<=' | '>' | '<'];
  }));
}

describe('package-lock.json stays as committed after npm install', () => {
  it('devEngines refuses the npm versions that rewrite the lock, and accepts the others', () => {
    const pm = pkg.devEngines?.packageManager;
    assert.equal(pm?.name, 'npm');
    assert.equal(pm?.onFail, 'error', 'a warning would still let npm rewrite the lock');
    const range = pm?.version as string;
    for (const bad of ['11.6.1', '11.6.2']) assert.equal(satisfies(bad, range), false, bad);
    for (const good of ['10.8.2', '10.9.2', '11.0.0', '11.6.0', '11.6.3', '11.19.1', '12.0.0']) assert.equal(satisfies(good, range), true, good);
  });

  it('the lock is in the format those npm versions write: no "peer" flag on what the package itself depends on', () => {
    const lock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8')) as { lockfileVersion: number; packages: Record<string, { peer?: boolean }> };
    assert.equal(lock.lockfileVersion, 3);
    const direct = [...Object.keys(pkg.dependencies), ...Object.keys(pkg.devDependencies)];
    const flagged = direct.filter((name) => lock.packages[`node_modules/${name}`]?.peer === true);
    assert.deepEqual(flagged, [], 'written by npm 11.6.1/11.6.2: regenerate it with another npm (npm install)');
  });
});
