// Runs every compiled test file (dist/test/**/*.test.js) under node's test runner.
// Usage: node scripts/test.mjs [substring …]   e.g. `npm test -- registry` runs the registry tests only.
import { spawn, spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { delimiter, dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const walk = (dir) =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? walk(join(dir, e.name)) : e.name.endsWith('.test.js') ? [join(dir, e.name)] : [],
  );
const filters = process.argv.slice(2);
const files = walk(join(root, 'dist', 'test'))
  .filter((f) => filters.length === 0 || filters.some((s) => relative(root, f).includes(s)))
  .sort();
if (files.length === 0) {
  console.error(`test: no test files matched ${filters.join(' ') || '(all)'}`);
  process.exit(1);
}
// Whatever Node runs this script runs the tests, and anything they start as `node` by name (npm's
// lifecycle scripts, a shebang) finds that same Node first on PATH: `.tools/node/24/…/node
// scripts/test.mjs` tests Node 24 only, never the machine's Node by accident.
process.env.PATH = `${dirname(process.execPath)}${delimiter}${process.env.PATH ?? ''}`;

// The end-to-end suites talk to real Consul, etcd, Redis and Jaeger servers and to go-micro peers:
// install what is missing first. The built ones live in the per-user tool cache (scripts/tool-cache), so
// this takes 15-40 minutes once per machine and user (progress is printed) and a few seconds in every
// later clone. If that fails the suites fail with a clear message; KEEL_SKIP_E2E=1 skips them (loudly).
if (process.env.KEEL_SKIP_E2E !== '1' && process.env.KEEL_NO_INSTALL !== '1') {
  const installStart = Date.now();
  for (const [what, args] of [['servers', ['install', 'all']], ['go-micro peers', []]]) {
    const script = join(root, 'scripts', args.length ? 'infra' : 'build-interop');
    const t0 = Date.now();
    const done = spawnSync(script, args, { stdio: ['ignore', 'ignore', 'inherit'], cwd: root });
    if (done.status !== 0) console.error(`test: installing the ${what} failed (${script} ${args.join(' ')}); their suites will fail`);
    else if (Date.now() - t0 > 5000) console.error(`test: installed the ${what} in ${Math.round((Date.now() - t0) / 1000)} s`);
  }
  console.error(`test: tools ready in ${Math.round((Date.now() - installStart) / 1000)} s; running ${files.length} test files`);
}

// A test that leaks a handle keeps its file's process alive and node --test waits for it forever:
// bound the whole run, so CI fails with a message instead of hanging until its own limit.
const limitMs = Number(process.env.KEEL_TEST_TIMEOUT_MS ?? 20 * 60_000);
// The chaos suite measures failed calls under load with timing bounds: it runs after the others, alone, so
// that another test file's servers do not starve it of CPU on a small machine.
const alone = files.filter((f) => relative(root, f).includes(`${join('test', 'chaos')}`));
const phases = [files.filter((f) => !alone.includes(f)), alone].filter((p) => p.length > 0);
const started = Date.now();

function run(phase, index) {
  const child = spawn(process.execPath, ['--test', `--test-concurrency=${index === 0 && phases.length > 1 || alone.length === 0 ? 2 : 1}`,
    // The chaos suite's full variant runs for minutes; everything else gets 2 minutes a file.
    `--test-timeout=${phase === alone ? 600_000 : 120_000}`, ...phase], {
    stdio: 'inherit',
    cwd: root,
    detached: true,
  });
  const watchdog = setTimeout(() => {
    console.error(`test: the run exceeded ${limitMs / 1000} s (a test file did not exit: a leaked server, timer or socket?); killing it`);
    process.kill(-child.pid, 'SIGKILL');
  }, Math.max(1000, limitMs - (Date.now() - started)));
  child.on('exit', (code, signal) => {
    clearTimeout(watchdog);
    const failed = code ?? (signal ? 1 : 0);
    if (index + 1 < phases.length) {
      run(phases[index + 1], index + 1);
      process.exitCode = failed;
    } else process.exit(failed || process.exitCode || 0);
  });
}
run(phases[0], 0);
