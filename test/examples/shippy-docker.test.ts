// shippy's Dockerfiles and compose file, checked without a Docker engine: hadolint lints the Dockerfiles,
// and what they copy, run and install is checked against the repository and its build; the compose file's
// images are pinned and its variables are ones the programs read.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { builtinModules } from 'node:module';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, posix, relative } from 'node:path';
import { describe, it } from 'node:test';
import { repoRoot, toolOrSkip } from '../support/external';

const shippy = join(repoRoot, 'examples', 'shippy');
const PROGRAMS = ['vessel-service', 'consignment-service', 'consignment-cli'];
const hadolint = toolOrSkip('hadolint', 'shippy Dockerfile lint');

interface Instruction { stage: string; op: string; args: string }

/** A Dockerfile's instructions (continuation lines joined, comments dropped), each with its stage's name. */
function instructions(file: string): Instruction[] {
  const text = readFileSync(file, 'utf8').split('\n').filter((l) => !/^\s*#/.test(l)).join('\n').replace(/\\\n/g, ' ');
  const out: Instruction[] = [];
  let stage = '';
  for (const line of text.split('\n').map((l) => l.trim()).filter(Boolean)) {
    const [, op = '', args = ''] = /^(\w+)\s+(.*)$/.exec(line) ?? [];
    if (op === 'FROM') stage = /\bAS\s+(\S+)/i.exec(args)?.[1] ?? 'runtime';
    out.push({ stage, op, args: args.replace(/\s+/g, ' ') });
  }
  return out;
}

/** The .dockerignore patterns at the build context (the repository root). */
const ignored = readFileSync(join(repoRoot, '.dockerignore'), 'utf8').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));

/** Every file a compiled entry point loads by relative path, and the bare packages it requires. */
function loads(entry: string): { files: Set<string>; packages: Set<string> } {
  const files = new Set<string>();
  const packages = new Set<string>();
  const visit = (file: string): void => {
    if (files.has(file)) return;
    files.add(file);
    for (const [, spec] of readFileSync(file, 'utf8').matchAll(/require\("([^"]+)"\)/g)) {
      const target = spec as string;
      if (target.startsWith('.')) {
        const base = join(dirname(file), target);
        const resolved = [`${base}.js`, join(base, 'index.js'), base].find((f) => existsSync(f) && statSync(f).isFile());
        assert.ok(resolved, `${relative(repoRoot, file)} requires ${target}, which is not in dist`);
        visit(resolved);
      } else if (!target.startsWith('node:') && !builtinModules.includes(target)) {
        packages.add(target.startsWith('@') ? target.split('/').slice(0, 2).join('/') : (target.split('/')[0] as string));
      }
    }
  };
  visit(entry);
  return { files, packages };
}

describe("shippy's Dockerfiles", () => {
  const lock = JSON.parse(readFileSync(join(repoRoot, 'package-lock.json'), 'utf8')) as { packages: Record<string, { version: string }> };
  const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };

  it('hadolint finds nothing in any of them (and does find a bad Dockerfile)', { skip: hadolint === undefined }, () => {
    for (const program of PROGRAMS) {
      const file = join(shippy, `${program}.Dockerfile`);
      const run = spawnSync(hadolint as string, ['--no-color', file], { encoding: 'utf8' });
      assert.equal(run.status, 0, `hadolint ${program}.Dockerfile:\n${run.stdout}${run.stderr}`);
    }
    const bad = spawnSync(hadolint as string, ['--no-color', '-'], { input: 'FROM node\nRUN cd /app && npm install\n', encoding: 'utf8' });
    assert.notEqual(bad.status, 0);
    assert.match(bad.stdout, /DL3006/); // an untagged image
  });

  for (const program of PROGRAMS) {
    describe(`${program}.Dockerfile`, () => {
      const file = join(shippy, `${program}.Dockerfile`);
      const all = instructions(file);
      const runtime = all.filter((i) => i.stage === 'runtime');

      it('builds in a stage of its own and runs node slim as a non-root user', () => {
        assert.deepEqual(all.filter((i) => i.op === 'FROM').map((i) => i.args), ['node:24-bookworm-slim AS build', 'node:24-bookworm-slim AS deps', 'node:24-bookworm-slim']);
        assert.ok(all.some((i) => i.stage === 'build' && i.op === 'RUN' && i.args.includes('npm ci')));
        assert.ok(all.some((i) => i.stage === 'build' && i.op === 'RUN' && i.args === 'node scripts/build.mjs'));
        const user = runtime.filter((i) => i.op === 'USER').at(-1)?.args;
        assert.match(user ?? '', /^[1-9]\d*(:[1-9]\d*)?$/, 'a numeric, non-root USER');
        const lastWrite = runtime.map((i) => i.op).lastIndexOf('COPY');
        assert.ok(runtime.findIndex((i) => i.op === 'USER') > lastWrite && !runtime.some((i) => i.op === 'RUN'), 'USER after every COPY, no RUN in the runtime stage');
      });

      it('copies only what exists in the build context, and nothing .dockerignore leaves out', () => {
        for (const copy of all.filter((i) => i.op === 'COPY' && !i.args.startsWith('--from'))) {
          const sources = copy.args.split(' ').slice(0, -1);
          for (const source of sources) {
            assert.ok(existsSync(join(repoRoot, source)), `COPY ${source}: not in the repository`);
            const top = source.split('/')[0] as string;
            assert.ok(!ignored.includes(top) && !ignored.includes(source), `COPY ${source}: excluded by .dockerignore`);
          }
        }
      });

      it('its runtime image holds the entry point, everything it loads, and the packages it requires', () => {
        const cmd = runtime.find((i) => i.op === 'CMD')?.args;
        assert.equal(cmd, `["node", "dist/examples/shippy/${program}.js"]`);
        // The build stage's /src is the repository: what it copies out of /src/dist must exist in our dist.
        const copied = runtime.filter((i) => i.op === 'COPY' && i.args.startsWith('--from=build')).map((i) => {
          const [, from, to] = i.args.split(' ');
          assert.ok(from?.startsWith('/src/dist/') && existsSync(join(repoRoot, from.slice('/src/'.length))), `${i.args}: not in the build output`);
          assert.equal(posix.normalize(`${to}`).replace(/\/$/, ''), from?.slice('/src/'.length).replace(/\/$/, ''), 'copied to the same path under /app');
          return (to as string).replace(/\/$/, '');
        });
        const { files, packages } = loads(join(repoRoot, 'dist', 'examples', 'shippy', `${program}.js`));
        // The .proto files are read at run time from next to the compiled code (the build copies them).
        for (const proto of readdirSync(shippy).filter((f) => f.endsWith('.proto'))) files.add(join(repoRoot, 'dist', 'examples', 'shippy', proto));
        for (const f of files) {
          const rel = relative(repoRoot, f);
          assert.ok(existsSync(f), `${rel} is not in the build output`);
          assert.ok(copied.some((dir) => rel.startsWith(`${dir}/`)), `${rel} is loaded but not copied into the image`);
        }
        // Production dependencies: keel's own plus the peers the deps stage pins.
        const deps = all.find((i) => i.stage === 'deps' && i.op === 'RUN')?.args ?? '';
        const pinned = new Map([...deps.matchAll(/dependencies\.(\S+)=(\S+)/g)].map(([, name, version]) => [name as string, version as string]));
        const installed = new Set([...Object.keys(pkg.dependencies), ...pinned.keys()]);
        for (const p of packages) assert.ok(installed.has(p), `${program} requires ${p}, which the image does not install`);
        // Peers keel loads by name at run time (not visible as require() calls) that shippy needs.
        for (const peer of ['consul', '@opentelemetry/sdk-trace', '@opentelemetry/exporter-trace-otlp-proto']) assert.ok(pinned.has(peer), `${peer} pinned`);
        for (const [name, version] of pinned) {
          assert.equal(version, lock.packages[`node_modules/${name}`]?.version, `${name} is pinned at package-lock.json's version`);
        }
        assert.match(deps, /npm pkg delete devDependencies/);
        assert.match(deps, /npm install --omit=dev/);
      });
    });
  }

  it('there is one Dockerfile per program, and nothing else builds shippy', () => {
    assert.deepEqual(readdirSync(shippy).filter((f) => f.endsWith('.Dockerfile')).sort(), PROGRAMS.map((p) => `${p}.Dockerfile`).sort());
  });
});

describe("shippy's docker-compose.yml", () => {
  const text = readFileSync(join(shippy, 'docker-compose.yml'), 'utf8');

  it('uses real images at pinned versions, and builds each program from its Dockerfile', () => {
    const images = [...text.matchAll(/^\s+image: (\S+)$/gm)].map(([, image]) => image);
    assert.deepEqual(images.sort(), ['hashicorp/consul:1.16.1', 'jaegertracing/jaeger:2.13.0']);
    const built = [...text.matchAll(/build: \{ context: \.\.\/\.\., dockerfile: examples\/shippy\/(\S+)\.Dockerfile \}/g)].map(([, p]) => p);
    assert.deepEqual(built.sort(), [...PROGRAMS].sort());
    for (const program of PROGRAMS) assert.match(text, new RegExp(`^  ${program}:$`, 'm'), `a ${program} service`);
    // The basis example's compose file runs the same Consul and Jaeger.
    const basis = readFileSync(join(repoRoot, 'examples', 'docker-compose.yml'), 'utf8');
    for (const image of images) assert.ok(basis.includes(`image: ${image}`), `examples/docker-compose.yml uses ${image} too`);
  });

  it('sets only variables the programs (or keel for them) read, and the ones they need', () => {
    const names = new Set([...text.matchAll(/^\s+([A-Z][A-Z0-9_]+): /gm)].map(([, n]) => n as string));
    for (const program of PROGRAMS) {
      for (const i of instructions(join(shippy, `${program}.Dockerfile`)).filter((x) => x.op === 'ENV')) names.add(i.args.split('=')[0] as string);
    }
    const sources = (dir: string): string[] =>
      readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []));
    const read = new Set<string>();
    for (const file of [...sources(join(repoRoot, 'src')), ...sources(shippy), join(repoRoot, 'examples', 'basis', 'tracing-setup.ts')]) {
      for (const [name] of readFileSync(file, 'utf8').matchAll(/\b(MICRO|OTEL|CONSUL)_[A-Z0-9_]+\b/g)) read.add(name);
    }
    for (const name of names) assert.ok(read.has(name) || name === 'NODE_ENV', `${name} is set but nothing reads it`);
    for (const name of ['MICRO_REGISTRY', 'MICRO_REGISTRY_ADDRESS', 'MICRO_SERVER_ADDRESS', 'OTEL_EXPORTER_OTLP_ENDPOINT']) assert.ok(names.has(name), `${name} is set`);
    assert.match(text, /MICRO_REGISTRY: consul\n\s+MICRO_REGISTRY_ADDRESS: consul:8500/);
    assert.match(text, /OTEL_EXPORTER_OTLP_ENDPOINT: http:\/\/jaeger:4318/);
  });
});

// The hadolint binary is what `scripts/infra install hadolint` put there: check it is the pinned one.
describe('hadolint', { skip: hadolint === undefined }, () => {
  it('is the version scripts/infra pins', () => {
    const pin = /^HADOLINT_VERSION=(\S+)$/m.exec(readFileSync(join(repoRoot, 'scripts', 'infra'), 'utf8'))?.[1];
    assert.ok(pin);
    assert.match(execFileSync(hadolint as string, ['--version'], { encoding: 'utf8' }), new RegExp(` ${pin.replace(/\./g, '\\.')}\\b`));
  });
});
