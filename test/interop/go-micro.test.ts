import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { consulRegistry, createClient, roundRobin, wrapClient, type Registry } from '../../src/index';
import { Basis, replier, startBasis, type TestServer } from '../support/basis';
import { startConsul, type ConsulAgent } from '../support/consul-agent';
import { toolOrSkip } from '../support/external';
import { goMicroPeers, startGoMicroServer, type GoMicroServer } from '../support/go-micro-peers';

const run = promisify(execFile);
const consulBinary = toolOrSkip('consul', 'go-micro interoperability');



describe('interoperability with go-micro v5 through Consul', { skip: consulBinary === undefined && 'consul missing (KEEL_SKIP_E2E=1)' }, () => {
  let consul: ConsulAgent;
  let peers: { server: string; client: string } | undefined;
  const registries: Registry[] = [];
  const keelServers: TestServer[] = [];
  const goServers: GoMicroServer[] = [];
  const registry = (): Registry => {
    const r = consulRegistry({ address: consul.address, waitMs: 5000 });
    registries.push(r);
    return r;
  };
  const startGoMicro = async (name = 'basis'): Promise<GoMicroServer> => {
    const server = await startGoMicroServer(peers!.server, consul.address, name);
    goServers.push(server);
    return server;
  };
  const goMicroClient = async (args: string[]): Promise<string[]> => {
    const { stdout } = await run(peers!.client, ['--registry_address', consul.address, ...args], { timeout: 30_000 });
    return stdout.trim().split('\n');
  };

  before(async () => {
    peers = await goMicroPeers();
    consul = await startConsul(consulBinary as string);
  });
  after(async () => {
    await Promise.all(keelServers.map((s) => s.server.stop()));
    await Promise.all(goServers.map((s) => s.stop()));
    await Promise.all(registries.map((r) => r.close()));
    await consul?.stop();
  });

  it('a keel client discovers a go-micro server and spreads calls evenly over keel and go-micro nodes', async (t) => {
    if (!peers) return t.skip('KEEL_SKIP_E2E=1 and the go-micro peers could not be built');
    const r = registry();
    const go = await startGoMicro();
    keelServers.push(await startBasis(r, { registerTtlMs: 10_000, registerIntervalMs: 3000 }), await startBasis(r, { registerTtlMs: 10_000, registerIntervalMs: 3000 }));
    const basis = createClient(Basis, 'basis', { registry: r, wrap: wrapClient(roundRobin()) });
    const counts = new Map<string, number>();
    for (let i = 0; i < 30; i++) {
      const { msg } = await basis.hello({ name: 'keel' });
      counts.set(replier(msg), (counts.get(replier(msg)) ?? 0) + 1);
    }
    assert.deepEqual([...counts.keys()].sort(), [go.id, ...keelServers.map((s) => s.id)].sort());
    assert.deepEqual([...counts.values()], [10, 10, 10]);
    basis.close();
  });

  it('a go-micro client calls keel servers by name through Consul', async (t) => {
    if (!peers) return t.skip('KEEL_SKIP_E2E=1 and the go-micro peers could not be built');
    const ids = new Set(keelServers.map((s) => s.id));
    const replies = await goMicroClient(['--service', 'basis', '--count', '9', '--strategy', 'rotate', '--request_name', 'go-micro']);
    assert.equal(replies.length, 9);
    for (const reply of replies) assert.match(reply, /^Hello go-micro from basis-[0-9a-f-]{36}( \(127\.0\.0\.1:\d+\))?$/);
    const reached = new Set(replies.map(replier));
    for (const id of ids) assert.ok(reached.has(id), `the go-micro client never reached keel node ${id}`);
  });

  it('go-micro reads keel\'s registration: version and metadata from the tags', async (t) => {
    if (!peers) return t.skip('KEEL_SKIP_E2E=1 and the go-micro peers could not be built');
    const r = registry();
    const s = await startBasis(r, { name: 'described', version: '2.0.1', metadata: { zone: 'eu-1' }, registerTtlMs: 10_000, registerIntervalMs: 3000 });
    keelServers.push(s);
    const out = (await goMicroClient(['--service', 'described', '--describe'])).join('\n');
    assert.match(out, /2\.0\.1/);
    assert.match(out, new RegExp(s.id));
    assert.match(out, /zone/);
    assert.match(out, /eu-1/);
  });

  it('a go-micro client reaches a keel server registered under a name that is not its proto package', async (t) => {
    if (!peers) return t.skip('KEEL_SKIP_E2E=1 and the go-micro peers could not be built');
    const r = registry();
    const s = await startBasis(r, { name: 'greeter', registerTtlMs: 10_000, registerIntervalMs: 3000 });
    keelServers.push(s);
    const replies = await goMicroClient(['--service', 'greeter', '--count', '2', '--request_name', 'aliased']);
    assert.deepEqual(replies.map(replier), [s.id, s.id]);
  });
});
