import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { localRegistry, type Registry } from '../../../src/index';
import { eventually, startBasis, type TestServer } from '../../support/basis';
import { startItems, type ItemsProbe } from '../../support/items';
import { keel, spawnKeel } from './run-keel';
import { repoRoot } from '../../support/external';

// The real bin as a child process, against real servers on the local registry (a private directory).
const dir = mkdtempSync(join(tmpdir(), 'keel-cli-'));
const env = { MICRO_REGISTRY: 'local', MICRO_REGISTRY_ADDRESS: dir };
let registry: Registry;
const basis: TestServer[] = [];
let items: ItemsProbe;
let slow: TestServer;
let sick: TestServer;
const stopping: Array<() => Promise<void>> = [];

before(async () => {
  registry = localRegistry({ dir });
  basis.push(await startBasis(registry), await startBasis(registry));
  items = await startItems(registry);
  slow = await startBasis(registry, { name: 'slow', hello: () => new Promise((r) => setTimeout(() => r({ msg: 'late' }), 3000)) });
  sick = await startBasis(registry, { name: 'sick' });
  sick.server.setStatus('', 'NOT_SERVING');
});
after(async () => {
  await Promise.all([...basis, slow, sick].map((s) => s.server.stop()));
  await items.server.stop();
  await Promise.all(stopping.map((f) => f()));
  await registry.close();
  rmSync(dir, { recursive: true, force: true });
});

/** One line on stderr, no stack. */
const oneLine = (stderr: string, pattern: RegExp): void => {
  const lines = stderr.trim().split('\n');
  assert.match(lines[0] ?? '', pattern);
  assert.ok(!/\n\s+at /.test(stderr), `a stack was printed:\n${stderr}`);
};

describe('keel CLI against real servers on the local registry', () => {
  it('services: a table in a pipe (no colour), and --json', async () => {
    const run = await keel(['services'], env);
    assert.equal(run.code, 0, run.stderr);
    assert.ok(!run.stdout.includes('\u001b['), 'no colour codes in a pipe');
    const lines = run.stdout.trim().split('\n');
    assert.match(lines[0] ?? '', /^SERVICE\s+NODES\s+VERSIONS$/);
    assert.match(run.stdout, /^basis\s+2\s+latest$/m);
    assert.match(run.stdout, /^items\s+1\s+latest$/m);
    const col = (lines[0] ?? '').indexOf('NODES');
    for (const line of lines.slice(1)) assert.equal(line.search(/\d/), col, `aligned: ${JSON.stringify(line)}`);
    const json = await keel(['services', '--json'], env);
    assert.deepEqual(JSON.parse(json.stdout), [
      { name: 'basis', nodes: 2, versions: ['latest'] },
      { name: 'items', nodes: 1, versions: ['latest'] },
      { name: 'sick', nodes: 1, versions: ['latest'] },
      { name: 'slow', nodes: 1, versions: ['latest'] },
    ]);
  });

  it('describe: nodes with health, endpoints from reflection with their shapes', async () => {
    const run = await keel(['describe', 'items'], env);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, new RegExp(`^${items.id}\\s+127\\.0\\.0\\.1:\\d+\\s+latest\\s+SERVING\\s+.*protocol=grpc`, 'm'));
    assert.match(run.stdout, /^Items\.ListItems\s+server_stream\s+items\.ListRequest \{ count: int32, failAt: int32, size: int32 \}\s+items\.Item \{/m);
    assert.match(run.stdout, /endpoints from reflection/);
    const json = JSON.parse((await keel(['describe', 'basis', '--json'], env)).stdout);
    assert.deepEqual(json.nodes.map((n: { id: string }) => n.id).sort(), basis.map((b) => b.id).sort());
    assert.deepEqual(json.nodes.map((n: { health: { status: string } }) => n.health.status), ['SERVING', 'SERVING']);
    assert.deepEqual(json.endpoints, [{ name: 'Basis.Hello', kind: 'unary', request: 'basis.Request { name: string }', response: 'basis.Response { msg: string }', source: 'reflection' }]);
    const sickRun = JSON.parse((await keel(['describe', 'sick', '--json'], env)).stdout);
    assert.equal(sickRun.nodes[0].health.status, 'NOT_SERVING');
  });

  it('call: unary from the argument, from stdin (absent or -), with metadata', async () => {
    const run = await keel(['call', 'basis', 'Basis.Hello', '{"name":"John"}', '--metadata', 'x-team=blue', '--metadata=x-team=green'], env);
    assert.equal(run.code, 0, run.stderr);
    const reply = JSON.parse(run.stdout) as { msg: string };
    assert.match(reply.msg, /^Hello John from basis-/);
    const server = basis.find((b) => reply.msg.includes(b.id));
    // Both values arrive (HTTP/2 joins a repeated header with ", ").
    assert.equal(server?.seen.at(-1)?.ctx.metadata.get('x-team').join(', '), 'blue, green');
    for (const args of [['call', 'basis', 'Basis.Hello'], ['call', 'basis', 'basis.Basis/Hello', '-']]) {
      const piped = await keel(args, env, '{"name":"Pipe"}');
      assert.equal(piped.code, 0, piped.stderr);
      assert.match(JSON.parse(piped.stdout).msg, /^Hello Pipe from/);
    }
  });

  it('call: a server stream prints one JSON line per message', async () => {
    const run = await keel(['call', 'items', 'Items.ListItems', '{"count":3}'], env);
    assert.equal(run.code, 0, run.stderr);
    const lines = run.stdout.trim().split('\n').map((l) => JSON.parse(l) as { id: number; name: string });
    assert.deepEqual(lines.map((l) => l.id), [1, 2, 3]);
    const failing = await keel(['call', 'items', 'Items.ListItems', '{"count":3,"failAt":3}'], env);
    assert.equal(failing.code, 1);
    assert.equal(failing.stdout.trim().split('\n').length, 2, 'the messages before the failure were printed');
    oneLine(failing.stderr, /^ERROR FAILED_PRECONDITION: failed at 3$/);
  });

  it('call: failures are one line with the status, and their exit codes', async () => {
    const cases: Array<[string[], number, RegExp, string?]> = [
      [['call', 'basis', 'Basis.Nope', '{}'], 4, /^ERROR UNIMPLEMENTED \(unknown_method\): basis has no method Basis\.Nope/],
      [['call', 'nobody', 'Basis.Hello', '{}'], 4, /^ERROR UNAVAILABLE \(no_nodes\): no nodes of nobody/],
      [['call', 'basis', 'Basis.Hello', '{"nme":"x"}'], 2, /^ERROR INVALID_ARGUMENT \(bad_request\): .*"nme"/],
      [['call', 'basis', 'Basis.Hello', '{name:'], 2, /^keel: the request argument is not valid JSON/],
      [['call', 'basis', 'Basis.Hello'], 2, /^keel: stdin is not valid JSON/, 'nope'],
      [['call', 'slow', 'Basis.Hello', '{}', '--timeout', '300'], 1, /^ERROR DEADLINE_EXCEEDED/],
    ];
    for (const [args, code, pattern, input] of cases) {
      const run = await keel(args, env, input);
      assert.equal(run.code, code, `${args.join(' ')}: ${run.stderr}`);
      oneLine(run.stderr, pattern);
    }
    const verbose = await keel(['call', 'basis', 'Basis.Nope', '{}', '--verbose'], env);
    assert.match(verbose.stderr, /^ERROR UNIMPLEMENTED/);
    assert.match(verbose.stderr, /\n\s+at /, '--verbose prints the stack');
  });

  it('call: Ctrl-C cancels a call in flight: exit 130, one line', async () => {
    const before = slow.seen.length;
    const c = spawnKeel(['call', 'slow', 'Basis.Hello', '{}', '--timeout', '20000'], env);
    stopping.push(async () => void c.child.kill('SIGKILL'));
    await eventually(() => slow.seen.length > before, 'the call to reach the server', 10_000);
    c.child.kill('SIGINT');
    assert.equal(await c.exited, 130);
    assert.match(c.stderr(), /^ERROR CANCELLED \(cancelled\): [^\n]*\n$/);
  });

  it('health: each node; exit 0 when one serves, 3 when none does, 4 without nodes', async () => {
    const ok = await keel(['health', 'basis'], env);
    assert.equal(ok.code, 0, ok.stderr);
    for (const b of basis) assert.match(ok.stdout, new RegExp(`^${b.id}\\s+127\\.0\\.0\\.1:\\d+\\s+SERVING`, 'm'));
    assert.match(ok.stdout, /2 of 2 serving/);
    const down = await keel(['health', 'sick', '--json'], env);
    assert.equal(down.code, 3);
    assert.deepEqual(JSON.parse(down.stdout), { service: 'sick', serving: 0, nodes: [{ id: sick.id, address: sick.address, status: 'NOT_SERVING' }] });
    const none = await keel(['health', 'nobody'], env);
    assert.equal(none.code, 4);
    oneLine(none.stderr, /^ERROR UNAVAILABLE \(no_nodes\)/);
  });

  it('watch <service> --json: present, joined, left, one JSON event a line, until SIGINT', async () => {
    const w = spawnKeel(['watch', 'basis', '--json'], env);
    stopping.push(async () => void w.child.kill('SIGKILL'));
    const events = (): Array<{ event: string; service: string; node: { id: string } }> => w.lines.map((l) => JSON.parse(l));
    await eventually(() => events().filter((e) => e.event === 'present').length === 2, 'the two nodes present', 10_000);
    const third = await startBasis(registry);
    await eventually(() => events().some((e) => e.event === 'joined' && e.node.id === third.id), 'the joined event', 10_000);
    await third.server.stop();
    await eventually(() => events().some((e) => e.event === 'left' && e.node.id === third.id), 'the left event', 10_000);
    assert.ok(events().every((e) => e.service === 'basis'));
    w.child.kill('SIGINT');
    assert.equal(await w.exited, 0, w.stderr());
  });

  it('watch without a service: services that appear later are followed too', async () => {
    const w = spawnKeel(['watch', '--interval', '100'], env);
    stopping.push(async () => void w.child.kill('SIGKILL'));
    await eventually(() => w.lines.some((l) => /present\s+items\s/.test(l)), 'items present', 10_000);
    const late = await startBasis(registry, { name: 'late' });
    await eventually(() => w.lines.some((l) => new RegExp(`joined\\s+late\\s+${late.id}`).test(l)), 'the new service joining', 10_000);
    await late.server.stop();
    await eventually(() => w.lines.some((l) => new RegExp(`left\\s+late\\s+${late.id}`).test(l)), 'the new service leaving', 10_000);
    w.child.kill('SIGTERM');
    assert.equal(await w.exited, 0, w.stderr());
  });
});

describe('keel CLI usage: help, and every bad flag value is exit 2 with one clear line', () => {
  it('keel --help lists the commands and the exit codes; keel <cmd> --help its flags', async () => {
    const help = await keel(['--help'], env);
    assert.equal(help.code, 0);
    for (const name of ['services', 'describe', 'call', 'health', 'watch']) assert.match(help.stdout, new RegExp(`^  ${name}\\s+\\S`, 'm'));
    assert.match(help.stdout, /exit codes:\n\s+0\s+ok/);
    assert.match(help.stdout, /--registry_address/);
    const callHelp = await keel(['call', '--help'], env);
    assert.equal(callHelp.code, 0);
    assert.match(callHelp.stdout, /^usage: keel call <service> <Service\.Method> \[json \| -\]/);
    for (const flag of ['--timeout', '--metadata', '--proto', '--proto_path', '--registry', '--json']) assert.ok(callHelp.stdout.includes(flag), flag);
    assert.match(callHelp.stdout.replace(/\s+/g, ' '), /a JSON array of request objects for client-streaming and bidi methods/);
    const bare = await keel([], env);
    assert.equal(bare.code, 2);
    assert.match(bare.stderr, /^keel: the registry/);
  });

  it("keel --version, -v and version print the package's version", async () => {
    const { version } = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { version: string };
    for (const flag of ['--version', '-v', 'version']) {
      const run = await keel([flag], env);
      assert.equal(run.code, 0, `${flag}: ${run.stderr}`);
      assert.equal(run.stdout, `keel ${version}\n`, flag);
    }
    assert.match((await keel(['--help'], env)).stdout, /keel --version/);
  });

  it('rejects bad usage, naming what is wrong', async () => {
    const cases: Array<[string[], RegExp, NodeJS.ProcessEnv?]> = [
      [['nope'], /^keel: unknown command "nope"; the commands are services, describe, call, health, watch\b/],
      [['services', '--colour'], /^keel: unknown flag --colour$/],
      [['services', '--registry', 'zookeeper'], /^keel: --registry must be one of local, mdns, memory, consul, etcd, kubernetes; got "zookeeper"$/],
      [['services'], /^keel: MICRO_REGISTRY must be one of .*; got "zk"$/, { MICRO_REGISTRY: 'zk' }],
      [['services', '--registry', 'consul', '--registry_address', 'a:b:c'], /^keel: --registry_address: consulRegistry: address/],
      [['services', '--registry', 'etcd', '--registry_address', 'ftp://x'], /^keel: --registry_address: etcdRegistry: endpoints/],
      [['services', '--registry', 'kubernetes', '--registry_address', '/nonexistent/kubeconfig'], /^keel: --registry_address: kubernetesRegistry: kubeconfig: cannot read "\/nonexistent\/kubeconfig"/],
      [['services', '--registry='], /^keel: --registry needs a non-empty value$/],
      [['services', '--registry_address', tmpdir()], /^keel: --registry_address: localRegistry: refusing the registry directory/],
      [['services', '--json=maybe'], /^keel: --json takes true or false, got "maybe"$/],
      [['call', 'basis', 'Basis.Hello', '{}', '--timeout', 'soon'], /^keel: --timeout must be a positive whole number of milliseconds, got "soon"$/],
      [['call', 'basis', 'Basis.Hello', '{}', '--timeout=0'], /^keel: --timeout must be a positive whole number/],
      [['call', 'basis', 'Basis.Hello', '{}', '--timeout'], /^keel: --timeout needs a value$/],
      [['call', 'basis', 'Basis.Hello', '{}', '--metadata', 'novalue'], /^keel: --metadata takes key=value/],
      [['call', 'basis', 'Basis.Hello', '{}', '--metadata', 'k-bin=AA'], /^keel: --metadata: binary keys/],
      [['call', 'basis', 'Basis.Hello', '{}', '--proto', '/nonexistent/x.proto'], /^keel: --proto: \/nonexistent\/x\.proto not found$/],
      [['call', 'basis', 'Basis.Hello', '{}', '--proto_path', '/tmp'], /^keel: --proto_path is only used with --proto$/],
      [['call', 'basis'], /^keel: call needs a service and a method/],
      [['call', 'basis', 'Basis.Hello', '{"a":', '1}'], /^keel: call takes one JSON request/],
      [['describe'], /^keel: describe takes one service name$/],
      [['describe', 'basis', '--timeout', '-5'], /^keel: --timeout must be a positive whole number/],
      [['health', 'a', 'b'], /^keel: health takes one service name$/],
      [['health', 'basis', '--timeout', '1.5'], /^keel: --timeout must be a positive whole number/],
      [['watch', 'a', 'b'], /^keel: watch takes at most one service name$/],
      [['watch', '--interval', 'x'], /^keel: --interval must be a positive whole number/],
      [['watch', 'basis', '--interval', '10'], /^keel: --interval is only used when watching every service$/],
    ];
    for (const [args, pattern, extraEnv] of cases) {
      const run = await keel(args, { ...env, ...extraEnv });
      assert.equal(run.code, 2, `${args.join(' ')}: exit ${run.code}: ${run.stderr}`);
      const lines = run.stderr.trim().split('\n');
      assert.match(lines[0] ?? '', pattern, args.join(' '));
      assert.ok(lines.length <= 2 && (lines.length === 1 || lines[1]?.startsWith('usage: keel')), `${args.join(' ')}: ${run.stderr}`);
      assert.equal(run.stdout, '', `${args.join(' ')} printed to stdout`);
    }
  });
});
