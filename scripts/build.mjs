// Builds dist/ with tsc, then writes the ESM entry (dist/esm/index.mjs) that re-exports the CommonJS
// build by name, so `import { createClient } from 'keel'` and `require('keel')` share one instance.
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
try {
  execFileSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.json')], { stdio: 'inherit', cwd: root });
} catch {
  console.error('build: tsc failed');
  process.exit(1);
}

// tsc leaves the output of a source that was moved or deleted: a stale dist/src/call.js would shadow the
// src/call/ folder it became, and a stale test file would still run. Remove what no source compiles to.
const COMPILED = /\.(js|d\.ts)(\.map)?$/;
const pruneStale = (dir) => {
  for (const e of readdirSync(join(root, 'dist', dir), { withFileTypes: true })) {
    const rel = join(dir, e.name);
    if (e.isDirectory()) pruneStale(rel);
    else if (COMPILED.test(e.name) && !existsSync(join(root, rel.replace(COMPILED, '.ts')))) rmSync(join(root, 'dist', rel));
  }
};
for (const dir of ['src', 'wrappers', 'examples', 'test', 'bench']) if (existsSync(join(root, 'dist', dir))) pruneStale(dir);

// .proto files are read at run time from next to the compiled code.
const copyProtos = (dir) => {
  for (const e of readdirSync(join(root, dir), { withFileTypes: true })) {
    const rel = join(dir, e.name);
    if (e.isDirectory()) copyProtos(rel);
    else if (e.name.endsWith('.proto')) {
      mkdirSync(join(root, 'dist', dir), { recursive: true });
      copyFileSync(join(root, rel), join(root, 'dist', rel));
    }
  }
};
for (const dir of ['examples', 'test', 'bench']) if (existsSync(join(root, dir))) copyProtos(dir);

// One ESM wrapper per entry point (`keel`, `keel/toolkit`), each re-exporting its CommonJS build by name.
const entries = [
  ['index', join('src', 'index.js')],
  ['toolkit', join('src', 'toolkit', 'index.js')],
];
mkdirSync(join(root, 'dist', 'esm'), { recursive: true });
for (const [name, cjs] of entries) {
  const names = Object.keys(createRequire(import.meta.url)(join(root, 'dist', cjs)))
    .filter((n) => n !== '__esModule' && n !== 'default')
    .sort();
  const from = `../${cjs.split(/[\\/]/).join('/')}`;
  writeFileSync(
    join(root, 'dist', 'esm', `${name}.mjs`),
    `import keel from '${from}';\nexport const { ${names.join(', ')} } = keel;\nexport default keel;\n`,
  );
  writeFileSync(join(root, 'dist', 'esm', `${name}.d.mts`), `export * from '${from}';\n`);
}
