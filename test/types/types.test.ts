// The type tests: each fixture under test/types/fixtures is a strict project using keel's built declarations with
// one generator's output (ts-proto, proto-loader-gen-types, a hand-written map, untyped loadPackageDefinition).
// Lines that must not compile carry `// @ts-expect-error`, and an unused one is itself an error (TS2578), so
// `tsc` exiting 0 means every correct use compiled and every mistake was refused.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, it } from 'node:test';
import { root, tsc } from './tsc';

const fixtures = join(root, 'test', 'types', 'fixtures');

describe('type fixtures', () => {
  for (const name of ['ts-proto', 'proto-loader', 'hand-written', 'untyped']) {
    it(`${name}: correct uses compile, every @ts-expect-error line is refused`, () => {
      const { status, output } = tsc(join(fixtures, name));
      assert.equal(status, 0, `tsc -p test/types/fixtures/${name} failed:\n${output}`);
    });
  }

  it('fails on a fixture with mistakes: an unused @ts-expect-error and a wrong type', () => {
    const { status, diagnostics, output } = tsc(join(fixtures, 'broken'));
    assert.notEqual(status, 0, `the broken fixture compiled:\n${output}`);
    assert.deepEqual(
      diagnostics.map((d) => `${d.file}:${d.line} ${d.code}`),
      ['mistakes.ts:7 TS2578', 'mistakes.ts:9 TS2322'],
      output,
    );
  });
});

// The generated code is committed (so CI needs no protoc); when protoc is here, check it is what the pinned
// generators produce from items.proto today, so an edited proto or a generator upgrade cannot drift silently.
describe('generated fixture code', () => {
  const hasProtoc = spawnSync('protoc', ['--version']).status === 0;
  it('matches scripts/gen-type-fixtures output', { skip: hasProtoc ? false : 'protoc is not installed (apt-get install protobuf-compiler)' }, () => {
    const out = mkdtempSync(join(root, 'dist', 'gen-type-fixtures-'));
    try {
      const gen = spawnSync(join(root, 'scripts', 'gen-type-fixtures'), [out], { cwd: root, encoding: 'utf8' });
      assert.equal(gen.status, 0, `scripts/gen-type-fixtures failed:\n${gen.stdout}${gen.stderr}`);
      for (const dir of ['ts-proto/generated', 'proto-loader/generated']) {
        const fresh = files(join(out, dir));
        assert.deepEqual(fresh, files(join(fixtures, dir)), `${dir}: other files than committed; run scripts/gen-type-fixtures`);
        for (const file of fresh) {
          // ts-proto writes the protoc version into its header: not a difference that matters.
          const read = (base: string) => readFileSync(join(base, dir, file), 'utf8').replace(/^\/\/ +protoc +v.*$/m, '');
          assert.equal(read(out), read(fixtures), `${dir}/${file} differs from a fresh generation; run scripts/gen-type-fixtures`);
        }
      }
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});

function files(dir: string): string[] {
  const walk = (d: string): string[] =>
    readdirSync(d).flatMap((n) => (statSync(join(d, n)).isDirectory() ? walk(join(d, n)) : [relative(dir, join(d, n))]));
  return walk(dir).sort();
}
