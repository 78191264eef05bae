import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { installConsumerApp, type ConsumerApp } from './support/consumer-app';

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

  it('has the toolkit as its own entry point, keel/toolkit (require and import, one instance), and keeps it out of keel', () => {
    const TOOLKIT = ['createGateway', 'createMcpGateway', 'startSidecar', 'startWeb', 'bearerToken'];
    // Still in `keel` (deprecated) only while README.md imports them from there: see the end of src/index.ts.
    const DEPRECATED_IN_KEEL = ['createGateway', 'createMcpGateway', 'startSidecar', 'bearerToken'];
    writeFileSync(join(app, 'toolkit.mjs'), [
      `import { ${TOOLKIT.join(', ')} } from 'keel/toolkit';`,
      `import * as keel from 'keel';`,
      `import { createRequire } from 'node:module';`,
      `const require = createRequire(import.meta.url);`,
      `const cjs = require('keel/toolkit');`,
      `console.log(JSON.stringify({ types: [${TOOLKIT.join(', ')}].map((f) => typeof f), same: createGateway === cjs.createGateway,`,
      `  inKeel: ${JSON.stringify(TOOLKIT)}.filter((n) => n in keel || n in require('keel')),`,
      `  sameInKeel: keel.bearerToken('a-token-of-sixteen+')({ headers: { authorization: 'Bearer a-token-of-sixteen+' } }) }));`,
    ].join('\n'));
    const out = JSON.parse(execFileSync(process.execPath, ['toolkit.mjs'], { cwd: app, encoding: 'utf8' })) as
      { types: string[]; same: boolean; inKeel: string[]; sameInKeel: boolean };
    assert.deepEqual(out.types, TOOLKIT.map(() => 'function'));
    assert.equal(out.same, true, 'import and require share one instance');
    assert.deepEqual(out.inKeel.sort(), DEPRECATED_IN_KEEL.sort(), 'the library index exports no toolkit name beyond the deprecated ones');
    assert.equal(out.sameInKeel, true, 'a deprecated name in keel calls the toolkit\'s own function (a bearerToken that accepts its token)');
  });

  it('ships type declarations', () => {
    const pkg = JSON.parse(execFileSync(process.execPath, ['-p', "JSON.stringify(require('keel/package.json'))"], { cwd: app, encoding: 'utf8' }));
    assert.equal(pkg.name, 'keel');
    assert.equal(pkg.exports['.'].types, './dist/src/index.d.ts');
    assert.equal(pkg.exports['./toolkit'].types, './dist/src/toolkit/index.d.ts');
    assert.ok(require('node:fs').existsSync(join(root, 'dist', 'src', 'toolkit', 'index.d.ts')));
    assert.ok(require('node:fs').existsSync(join(root, 'dist', 'src', 'index.d.ts')));
  });
});

describe('the published package (npm pack)', () => {
  const pack = JSON.parse(execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })) as
    Array<{ files: Array<{ path: string }> }>;
  const files = pack[0]!.files.map((f) => f.path);
  const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
    scripts: Record<string, string>; dependencies: Record<string, string>; peerDependencies: Record<string, string>;
    peerDependenciesMeta: Record<string, { optional?: boolean }>; devDependencies: Record<string, string>;
  };

  it('ships the keel bin (npx keel), a node script with its shebang', () => {
    const bin = (manifest as { bin?: Record<string, string> }).bin?.keel as string;
    assert.equal(bin, 'dist/src/toolkit/cli/main.js');
    assert.ok(files.includes(bin), `${bin} is missing from the package`);
    assert.equal(readFileSync(join(root, bin), 'utf8').split('\n')[0], '#!/usr/bin/env node');
  });

  it('holds the licence, the readme, the compiled library with its types, and the ESM entry', () => {
    for (const f of ['LICENSE', 'README.md', 'package.json', 'dist/src/index.js', 'dist/src/index.d.ts', 'dist/esm/index.mjs', 'dist/esm/index.d.mts',
      'dist/src/toolkit/index.js', 'dist/src/toolkit/index.d.ts', 'dist/esm/toolkit.mjs', 'dist/esm/toolkit.d.mts',
      'dist/wrappers/tracing.js', 'dist/src/tracing/semconv.js', 'dist/src/peer.js']) {
      assert.ok(files.includes(f), `${f} is missing from the package`);
    }
    const license = readFileSync(join(root, 'LICENSE'), 'utf8');
    assert.match(license, /Apache License\s+Version 2\.0, January 2004/);
    assert.match(license, /END OF TERMS AND CONDITIONS/);
    assert.equal(license.split('\n').length, 202, 'the full Apache-2.0 text (201 lines)');
  });

  it('holds nothing else: no tests, bench, examples, sources, maps (their sources are not shipped) or build state', () => {
    const stray = files.filter((f) => !/^(LICENSE|README\.md|package\.json|dist\/(src|wrappers|esm)\/.+\.(js|d\.ts|mjs|d\.mts))$/.test(f));
    assert.deepEqual(stray, []);
    assert.deepEqual(files.filter((f) => f.endsWith('.map') || f.startsWith('dist/test') || f.startsWith('dist/bench') || f.startsWith('dist/examples')), []);
  });

  it('has no lifecycle script that would run where it is installed, and builds before packing', () => {
    for (const script of ['prepare', 'preinstall', 'install', 'postinstall']) assert.equal(manifest.scripts[script], undefined, script);
    assert.equal(manifest.scripts.prepack, 'node scripts/build.mjs');
  });

  it('depends on grpc-js, the OpenTelemetry API, dns-packet and what reflection needs only; everything else is an optional peer', () => {
    // Reflection is on by default (grpcurl works with no extra code): @grpc/reflection, and protobufjs for the
    // descriptors (grpc-js brings protobufjs already).
    assert.deepEqual(Object.keys(manifest.dependencies).sort(), ['@grpc/grpc-js', '@grpc/reflection', '@opentelemetry/api', 'dns-packet', 'protobufjs']);
    for (const peer of ['consul', 'etcd3', 'ioredis', '@grpc/proto-loader', '@opentelemetry/sdk-trace', '@opentelemetry/exporter-trace-otlp-proto', '@opentelemetry/exporter-jaeger']) {
      assert.ok(manifest.peerDependencies[peer], `${peer} is a peer`);
    }
    for (const [peer, range] of Object.entries(manifest.peerDependencies)) {
      assert.equal(manifest.peerDependenciesMeta[peer]?.optional, true, `${peer} is optional`);
      assert.ok(manifest.devDependencies[peer], `${peer} (${range}) is a devDependency, for the tests`);
    }
    for (const dev of ['opossum', 'bottleneck', 'hdr-histogram-js', 'nice-grpc', 'nice-grpc-opentelemetry', 'nice-grpc-client-middleware-retry', 'nice-grpc-client-middleware-deadline']) {
      assert.equal(manifest.dependencies[dev] ?? manifest.peerDependencies[dev], undefined, `${dev} is for the bench only`);
    }
  });
});

describe('an application that installs only keel', () => {
  let app: ConsumerApp;
  before(() => {
    app = installConsumerApp();
  });
  after(() => app?.remove());

  it('gets grpc-js, the OpenTelemetry API, dns-packet and @grpc/reflection with their dependencies, nothing optional', (t) => {
    const installed = app.packages();
    const mb = app.bytes() / 1e6;
    t.diagnostic(`npm i keel: ${installed.length - 1} packages besides keel, ${mb.toFixed(1)} MB of node_modules`);
    for (const name of ['consul', 'etcd3', 'ioredis', 'opossum', 'bottleneck', 'jaeger-client', 'thriftrw', 'nice-grpc', 'hdr-histogram-js',
      '@opentelemetry/sdk-trace', '@opentelemetry/sdk-trace-base', '@opentelemetry/core', '@opentelemetry/exporter-trace-otlp-proto', '@opentelemetry/exporter-jaeger',
      '@modelcontextprotocol/sdk']) {
      assert.ok(!installed.includes(name), `${name} was installed`);
    }
    for (const name of ['keel', '@grpc/grpc-js', '@grpc/reflection', '@opentelemetry/api', 'dns-packet']) assert.ok(installed.includes(name), `${name} is missing`);
    // Measured when keel went lean: 36 packages, 10.8 MB (it was 91 packages, 38.7 MB); room for grpc-js to grow.
    assert.ok(installed.length <= 45, `${installed.length} packages`);
    assert.ok(mb < 20, `${mb.toFixed(1)} MB`);
  });

  it('imports keel and runs the built-in registries without any optional package', () => {
    const out = app.run(['-e', `const k = require('keel'); const r = k.memoryRegistry(); const l = k.localRegistry({ dir: require('fs').mkdtempSync(require('path').join(require('os').tmpdir(), 'keel-app-reg-')) });
      r.close(); l.close(); k.mdnsRegistry; console.log(typeof k.createClient)`]);
    assert.equal(out.trim(), 'function');
  });

  it("type-checks against keel's declarations without any optional package (skipLibCheck off)", () => {
    writeFileSync(join(app.dir, 'use.ts'), [
      `import { createClient, initTracing, rateLimit, consulRegistry, type SpanExporterLike, type RedisAddress } from 'keel';`,
      `import { createMcpGateway, type McpGatewayOptions } from 'keel/toolkit';`,
      `export const uses = [createClient, initTracing, rateLimit, consulRegistry, createMcpGateway];`,
      `export type T = [SpanExporterLike, RedisAddress, McpGatewayOptions];`,
    ].join('\n'));
    writeFileSync(join(app.dir, 'tsconfig.json'), JSON.stringify({
      compilerOptions: { strict: true, skipLibCheck: false, noEmit: true, module: 'node16', moduleResolution: 'node16', target: 'es2022', types: ['node'] },
      files: ['use.ts'],
    }));
    const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
    app.run([tsc, '-p', 'tsconfig.json']); // throws with tsc's output on any error
  });

  const missing: Array<[string, string, string]> = [
    ['consulRegistry', `k.consulRegistry()`, 'consul'],
    ['registryFromEnv (MICRO_REGISTRY=consul)', `process.env.MICRO_REGISTRY = 'consul'; k.registryFromEnv()`, 'consul'],
    ['etcdRegistry', `k.etcdRegistry()`, 'etcd3'],
    ['rateLimit with redis', `k.rateLimit(10, { redis: 'redis://127.0.0.1:6379', id: 'x' })`, 'ioredis'],
    ['initTracing', `k.initTracing({ serviceName: 'x' })`, '@opentelemetry/sdk-trace'],
    ['createMcpGateway', `require('keel/toolkit').createMcpGateway({ registry: k.memoryRegistry() })`, '@modelcontextprotocol/sdk'],
  ];
  for (const [feature, code, pkg] of missing) {
    it(`${feature} fails at once naming '${pkg}' and the npm install command`, () => {
      const out = app.run(['-e', `const k = require('keel');
        try { ${code}; console.log('no error'); } catch (e) { console.log(JSON.stringify({ name: e.name, code: e.code, pkg: e.packageName, message: e.message })); }`]);
      const err = JSON.parse(out.trim()) as { name: string; code: string; pkg: string; message: string };
      assert.equal(err.name, 'MissingPeerError', out);
      assert.equal(err.code, 'KEEL_MISSING_PEER');
      assert.equal(err.pkg, pkg);
      assert.match(err.message, new RegExp(`needs the package '${pkg}', which is not installed: run \`npm install [^\`]*${pkg.replace('/', '\\/')}`));
    });
  }
});
