// The README's complete example runs as written: its server and client, against a private local registry,
// print what the example says they print. (test/types/readme.test.ts checks that it compiles; this that it works.)
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, it } from 'node:test';
import ts from 'typescript';
import { tsBlocks } from '../types/readme';
import { root } from '../types/tsc';

describe("the README's complete example", () => {
  it('runs: a server and a client of items.proto, every call kind, then a clean stop', () => {
    const blocks = tsBlocks(readFileSync(join(root, 'README.md'), 'utf8'), 'README.md');
    const example = blocks.find((b) => b.code.includes('createServer(') && b.code.includes('createClient('));
    assert.ok(example, 'the README has no block with both createServer and createClient');
    // Types erased (the generated types are a type-only import), `keel` as the built ES module.
    const js = ts.transpileModule(example.code, { compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 } })
      .outputText.replace(/from 'keel'/g, `from '${pathToFileURL(join(root, 'dist', 'esm', 'index.mjs')).href}'`);
    assert.ok(!/from 'keel'/.test(js));
    const dir = join(root, 'dist', 'readme-example');
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'example.mjs'), js);
    copyFileSync(join(root, 'test', 'types', 'proto', 'items.proto'), join(dir, 'items.proto'));
    const registryDir = mkdtempSync(join(tmpdir(), 'keel-readme-example-'));
    try {
      const run = spawnSync(process.execPath, ['example.mjs'], {
        cwd: dir,
        encoding: 'utf8',
        timeout: 60_000,
        env: { ...process.env, MICRO_REGISTRY: 'local', MICRO_REGISTRY_ADDRESS: registryDir, OTEL_TRACES_EXPORTER: 'none' },
      });
      const output = `exit ${run.status} ${run.signal ?? ''}\nstdout:\n${run.stdout}\nstderr:\n${run.stderr}`;
      assert.equal(run.status, 0, output);
      // The server's lifecycle lines (`keel: items listening: …`, the console logger) interleave with the example's own.
      const lines = run.stdout.trim().split('\n');
      assert.deepEqual(lines.filter((l) => !l.startsWith('keel: ')), ['item a 250', 'a0', 'a1', 'a2', 'HI 10', 'THERE 10'], output);
      assert.match(lines.at(-1) ?? '', /^keel: items stopped: items-/, output);
    } finally {
      rmSync(registryDir, { recursive: true, force: true });
    }
  });
});
