import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { describe, it } from 'node:test';

// scripts/test.mjs runs the suite on the Node it was started with (the CI runs it on 24 and 26 too): a
// child process started as `node` by name must be that Node, not the machine's.
describe('runtime', () => {
  it('`node` by name is the Node running the tests', () => {
    const version = execFileSync('node', ['-p', 'process.version'], { encoding: 'utf8' }).trim();
    assert.equal(version, process.version);
  });
});
