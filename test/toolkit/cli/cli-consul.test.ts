import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { consulRegistry, type Registry } from '../../../src/index';
import { eventually, startBasis, type TestServer } from '../../support/basis';
import { startConsul, type ConsulAgent } from '../../support/consul-agent';
import { toolOrSkip } from '../../support/external';
import { goMicroPeers, startGoMicroServer, type GoMicroPeers, type GoMicroServer } from '../../support/go-micro-peers';
import { keel, spawnKeel, type KeelChild } from './run-keel';

const consulBinary = toolOrSkip('consul', 'keel CLI on Consul');
/** The go-micro peers' proto (they serve no reflection): copied next to the compiled tests by the build. */
const PEER_PROTO = join(__dirname, '..', '..', 'interop', 'basis', 'basis.proto');

describe('keel CLI on a real Consul, with a keel server and a go-micro server', { skip: consulBinary === undefined && 'consul missing (KEEL_SKIP_E2E=1)' }, () => {
  let consul: ConsulAgent;
  let peers: GoMicroPeers | undefined;
  let registry: Registry;
  let keelServer: TestServer;
  const goServers: GoMicroServer[] = [];
  const children: KeelChild[] = [];
  let flags: string[];

  before(async () => {
    peers = await goMicroPeers('keel CLI on Consul');
    consul = await startConsul(consulBinary as string);
    flags = ['--registry', 'consul', '--registry_address', consul.address];
    registry = consulRegistry({ address: consul.address, waitMs: 5000 });
    keelServer = await startBasis(registry, { registerTtlMs: 10_000, registerIntervalMs: 3000 });
    if (peers) goServers.push(await startGoMicroServer(peers.server, consul.address, 'gobasis'));
  });
  after(async () => {
    for (const c of children) c.child.kill('SIGKILL');
    await keelServer?.server.stop();
    await Promise.all(goServers.map((s) => s.stop()));
    await registry?.close();
    await consul?.stop();
  });

  it('services: keel and go-micro services from the catalog (Consul itself left out); MICRO_REGISTRY and CONSUL_HTTP_ADDR work too', async (t) => {
    if (!peers) return t.skip('KEEL_SKIP_E2E=1 and the go-micro peers could not be built');
    const run = await keel(['services', '--json', ...flags], {});
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(JSON.parse(run.stdout), [{ name: 'basis', nodes: 1, versions: ['latest'] }, { name: 'gobasis', nodes: 1, versions: ['latest'] }]);
    const byEnv = await keel(['services'], { MICRO_REGISTRY: 'consul', CONSUL_HTTP_ADDR: consul.address });
    assert.equal(byEnv.code, 0, byEnv.stderr);
    assert.match(byEnv.stdout, /^gobasis\s+1\s+latest$/m);
  });

  it('describe: a go-micro service\'s endpoints from the registry, and its nodes without a health service', async (t) => {
    if (!peers) return t.skip('KEEL_SKIP_E2E=1 and the go-micro peers could not be built');
    const go = goServers[0]!;
    const run = await keel(['describe', 'gobasis', ...flags], {});
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, new RegExp(`^${go.id}\\s+${go.address.replace(/\./g, '\\.')}\\s+latest\\s+NO_HEALTH\\s+.*registry=consul`, 'm'));
    assert.match(run.stdout, /^Basis\.Hello\s+unary\s+Request \{ name: string \}\s+Response \{ msg: string \}$/m);
    // go-micro registers a stream handler by its Go parameter types (context.Context, the stream): shown as it is.
    assert.match(run.stdout, /^Basis\.Stream\s+stream\s+Context\s+Stream$/m);
    assert.match(run.stdout, /endpoints from registry/);
    const withProto = await keel(['describe', 'gobasis', '--proto', PEER_PROTO, ...flags], {});
    assert.equal(withProto.code, 0, withProto.stderr);
    assert.match(withProto.stdout, /^Basis\.Stream\s+server_stream\s+basis\.StreamRequest \{ name: string, count: int32, intervalMs: int32, failAt: int32 \}\s+basis\.Response \{ msg: string \}$/m);
    assert.match(withProto.stdout, /endpoints from proto/);
    const keelSide = JSON.parse((await keel(['describe', 'basis', '--json', ...flags], {})).stdout);
    assert.deepEqual(keelSide.endpoints.map((e: { name: string; source: string }) => [e.name, e.source]), [['Basis.Hello', 'registry']]);
    assert.equal(keelSide.nodes[0].health.status, 'SERVING');
  });

  it('call: a go-micro service with --proto (unary and server streaming); without it, one clear line', async (t) => {
    if (!peers) return t.skip('KEEL_SKIP_E2E=1 and the go-micro peers could not be built');
    const go = goServers[0]!;
    const unary = await keel(['call', 'gobasis', 'Basis.Hello', '{"name":"CLI"}', '--proto', PEER_PROTO, ...flags], {});
    assert.equal(unary.code, 0, unary.stderr);
    assert.match(JSON.parse(unary.stdout).msg, new RegExp(`Hello CLI.*${go.id}`));
    const stream = await keel(['call', 'gobasis', 'Basis.Stream', '{"name":"s","count":3}', '--proto', PEER_PROTO, ...flags], {});
    assert.equal(stream.code, 0, stream.stderr);
    assert.deepEqual(stream.stdout.trim().split('\n').map((l) => /(\d)\/3/.exec(JSON.parse(l).msg)?.[1]), ['1', '2', '3']);
    const bare = await keel(['call', 'gobasis', 'Basis.Hello', '{}', ...flags], {});
    assert.equal(bare.code, 1);
    assert.match(bare.stderr, /^ERROR FAILED_PRECONDITION \(no_descriptor\): gobasis serves no reflection: give its \.proto file \(--proto\)\n$/);
    const keelCall = await keel(['call', 'basis', 'Basis.Hello', '{"name":"K"}', ...flags], {});
    assert.equal(keelCall.code, 0, keelCall.stderr);
    assert.match(JSON.parse(keelCall.stdout).msg, new RegExp(`Hello K from ${keelServer.id}`));
  });

  it('health: a go-micro node has no health service: exit 3; the keel node is SERVING: exit 0', async (t) => {
    if (!peers) return t.skip('KEEL_SKIP_E2E=1 and the go-micro peers could not be built');
    const go = await keel(['health', 'gobasis', ...flags], {});
    assert.equal(go.code, 3, go.stderr);
    assert.match(go.stdout, /NO_HEALTH\s+no grpc\.health\.v1\.Health service/);
    assert.equal((await keel(['health', 'basis', ...flags], {})).code, 0);
  });

  it('watch: a go-micro node joining and leaving through Consul', async (t) => {
    if (!peers) return t.skip('KEEL_SKIP_E2E=1 and the go-micro peers could not be built');
    const w = spawnKeel(['watch', 'gobasis', '--json', ...flags], {});
    children.push(w);
    const events = (): Array<{ event: string; node: { id: string } }> => w.lines.map((l) => JSON.parse(l));
    await eventually(() => events().some((e) => e.event === 'present'), 'the first node present', 10_000);
    const second = await startGoMicroServer(peers.server, consul.address, 'gobasis');
    goServers.push(second);
    await eventually(() => events().some((e) => e.event === 'joined' && e.node.id === second.id), 'the go-micro node joining', 10_000);
    await second.stop();
    await eventually(() => events().some((e) => e.event === 'left' && e.node.id === second.id), 'the go-micro node leaving', 10_000);
    w.child.kill('SIGINT');
    assert.equal(await w.exited, 0, w.stderr());
  });
});
