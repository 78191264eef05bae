// The toolkit is built only on the library's public API: every toolkit file imports the library through
// src/toolkit/library.ts, and library.ts imports only the public index and the named shared pieces.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { describe, it } from 'node:test';
import { root } from '../types/tsc';

const toolkit = join(root, 'src', 'toolkit');
/** What library.ts may import, relative to src/: the public index and the shared pieces (shape-report's lowest layer). */
const LIBRARY_DOOR = ['index', 'address', 'options', 'peer'];
/** Not the library: the package's own manifest, which version.ts requires from dist/src/toolkit. */
const MANIFEST = '../../package.json';

const walk = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? walk(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []);

/** Every relative module specifier of a file: `from '…'`, `import '…'`, `import('…')`, `require('…')`. */
export function relativeImports(source: string): string[] {
  const found = source.matchAll(/(?:\bfrom\s*|\bimport\s*\(?\s*|\brequire\s*\(\s*)['"](\.{1,2}\/[^'"]*|\.{1,2})['"]/g);
  return [...found].map((m) => m[1] as string);
}

/** The imports of `file` (absolute) that leave the toolkit, as paths relative to src/ without extension. */
function outside(file: string): string[] {
  const targets = relativeImports(readFileSync(file, 'utf8'))
    .map((spec) => resolve(dirname(file), spec))
    .filter((target) => target !== toolkit && !target.startsWith(toolkit + sep))
    .map((target) => relative(join(root, 'src'), target).split(sep).join('/').replace(/\.(js|ts)$/, ''))
    .filter((to) => to !== MANIFEST);
  return [...new Set(targets)];
}

describe('the toolkit builds on the public API only', () => {
  const files = walk(toolkit);

  it('finds the toolkit and reads its imports', () => {
    assert.ok(files.length >= 50, `expected the toolkit's files, found ${files.length}`);
    // The reader must see every import form, or the rules below would pass on files it cannot read.
    assert.deepEqual(relativeImports(`import { a } from '../x';\nimport type { B } from "./y";\nimport '../z';\nconst c = await import('../../w');\nrequire('..');`),
      ['../x', './y', '../z', '../../w', '..']);
    assert.deepEqual(outside(join(toolkit, 'library.ts')).sort(), [...LIBRARY_DOOR].sort());
  });

  it('no toolkit file but library.ts imports from outside src/toolkit/', () => {
    const reaching = files.filter((f) => !f.endsWith(`${sep}toolkit${sep}library.ts`))
      .flatMap((f) => outside(f).map((to) => `${relative(root, f)} imports src/${to}`));
    assert.deepEqual(reaching, [], 'import the library through src/toolkit/library.ts');
  });

  it('library.ts imports only the public index and the shared pieces', () => {
    const extra = outside(join(toolkit, 'library.ts')).filter((to) => !LIBRARY_DOOR.includes(to));
    assert.deepEqual(extra, [], 'export it from keel (src/index.ts) or move it into the toolkit');
  });
});
