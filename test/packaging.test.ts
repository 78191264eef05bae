import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';

// The package as another project sees it: node_modules/keel pointing at this repository.
const root = join(__dirname, '..', '..');
const app = mkdtempSync(join(tmpdir(), 'keel-consumer-'));
mkdirSync(join(app, 'node_modules'));
symlinkSync(root, join(app, 'node_modules', 'keel'), 'dir');
writeFileSync(join(app, 'package.json'), '{"name":"consumer","private":true}');
after(() => rmSync(app, { recursive: true, force: true }));

const API = ['createServer', 'createClient', 'wrapClient', 'wrapHandler', 'memoryRegistry', 'localRegistry', 'mdnsRegistry',
  'registryFromEnv', 'isKeelError', 'KeelError', 'stopOnSignals'];

describe('packaging', () => {
  it('works with require()', () => {
    writeFileSync(join(app, 'cjs.cjs'), `const k = require('keel'); console.log(JSON.stringify(${JSON.stringify(API)}.map((n) => typeof k[n])));`);
    const out = JSON.parse(execFileSync(process.execPath, ['cjs.cjs'], { cwd: app, encoding: 'utf8' })) as string[];
    assert.deepEqual(out, API.map(() => 'function'));
  });

  it('works with import, sharing one instance with require()', () => {
    writeFileSync(join(app, 'esm.mjs'), [
      `import { ${API.join(', ')} } from 'keel';`,
      `import { createRequire } from 'node:module';`,
      `const cjs = createRequire(import.meta.url)('keel');`,
      `console.log(JSON.stringify([${API.join(', ')}].map((f) => typeof f)), KeelError === cjs.KeelError);`,
    ].join('\n'));
    const [types, same] = execFileSync(process.execPath, ['esm.mjs'], { cwd: app, encoding: 'utf8' }).trim().split(' ');
    assert.deepEqual(JSON.parse(types as string), API.map(() => 'function'));
    assert.equal(same, 'true');
  });

  it('ships type declarations', () => {
    const pkg = JSON.parse(execFileSync(process.execPath, ['-p', "JSON.stringify(require('keel/package.json'))"], { cwd: app, encoding: 'utf8' }));
    assert.equal(pkg.name, 'keel');
    assert.equal(pkg.exports['.'].types, './dist/src/index.d.ts');
    assert.ok(require('node:fs').existsSync(join(root, 'dist', 'src', 'index.d.ts')));
  });
});
