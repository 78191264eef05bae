import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { consulRegistry, type Registry } from '../../src/index';
import { replier, startBasis, type TestServer } from '../support/basis';
import { startConsul, type ConsulAgent } from '../support/consul-agent';
import { repoRoot, toolOrSkip } from '../support/external';
import { goMicroPeers } from '../support/go-micro-peers';

const run = promisify(execFile);
const consulBinary = toolOrSkip('consul', 'go-micro endpoint interoperability');
const fixture = JSON.parse(readFileSync(join(repoRoot, 'test', 'interop', 'fixtures', 'gomicro-tags-decoded.json'), 'utf8')) as {
  endpoints: unknown[];
};


/**
 * go-micro clients that select by endpoint (`selector.FilterEndpoint`) or by `protocol=grpc`
 * (`selector.FilterLabel`) reach keel nodes, alone and mixed with go-micro nodes. go-micro takes a version's
 * endpoints from the FIRST Consul entry of that version, so both orders are tested: the go-micro server's id
 * is chosen to sort after (`ffffffff-…`) or before (`00000000-…`) keel's random one.
 */
describe('go-micro v5 clients filter by endpoint and protocol and reach keel nodes', { skip: consulBinary === undefined && 'consul missing (KEEL_SKIP_E2E=1)' }, () => {
  let consul: ConsulAgent;
  let peers: { server: string; client: string } | undefined;
  const registries: Registry[] = [];
  const keelServers: TestServer[] = [];
  const goServers: ChildProcess[] = [];
  const registry = (): Registry => {
    const r = consulRegistry({ address: consul.address, waitMs: 5000 });
    registries.push(r);
    return r;
  };
  const keel = async (name: string): Promise<TestServer> => {
    const s = await startBasis(registry(), { name, registerTtlMs: 10_000, registerIntervalMs: 3000 });
    keelServers.push(s);
    return s;
  };
  const goMicro = async (name: string, serverId: string): Promise<string> => {
    const child = spawn(peers!.server, ['--name', name, '--registry_address', consul.address, '--server_id', serverId,
      '--register_ttl', '10s', '--register_interval', '3s', '--exit_on_stdin_close'], { stdio: ['pipe', 'pipe', 'pipe'] });
    goServers.push(child);
    let err = '';
    child.stderr?.on('data', (d: Buffer) => (err += d));
    return new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout?.on('data', (d: Buffer) => {
        out += d;
        const ready = /READY (\S+) /.exec(out);
        if (ready) resolve(ready[1] as string);
      });
      child.once('exit', (code) => reject(new Error(`go-micro server exited ${code}: ${err}`)));
    });
  };
  const goClient = async (args: string[]): Promise<string[]> => {
    const { stdout } = await run(peers!.client, ['--registry_address', consul.address, ...args], { timeout: 30_000 });
    return stdout.trim().split('\n');
  };
  const filtered = (service: string, count: number, endpoint = 'Basis.Hello'): Promise<string[]> =>
    goClient(['--service', service, '--count', String(count), '--strategy', 'rotate', '--filter_endpoint', endpoint, '--filter_protocol']);
  /** The node ids in the order Consul lists them, which is the order go-micro reads them in. */
  const consulOrder = async (service: string): Promise<string[]> => {
    const res = await fetch(`http://${consul.address}/v1/health/service/${service}?stale=`);
    return ((await res.json()) as Array<{ Service: { ID: string } }>).map((e) => e.Service.ID);
  };

  before(async () => {
    peers = await goMicroPeers('go-micro endpoint');
    consul = await startConsul(consulBinary as string);
  });
  after(async () => {
    await Promise.all(keelServers.map((s) => s.server.stop()));
    await Promise.all(goServers.map((c) => new Promise((r) => {
      if (c.exitCode !== null) return r(undefined);
      c.once('exit', r);
      c.kill('SIGTERM');
    })));
    await Promise.all(registries.map((r) => r.close()));
    await consul?.stop();
  });

  it('go-micro decodes keel\'s registration: the endpoints exactly as a go-micro server writes them, and its standard metadata', async (t) => {
    if (!peers) return t.skip('KEEL_SKIP_E2E=1 and the go-micro peers could not be built');
    const s = await keel('epdescribe');
    const [line] = await goClient(['--service', 'epdescribe', '--describe']);
    const [service] = JSON.parse(line as string) as Array<{ endpoints: unknown[]; nodes: Array<{ id: string; metadata: Record<string, string> }> }>;
    assert.deepEqual(service?.endpoints, fixture.endpoints);
    assert.equal(service?.nodes[0]?.id, s.id);
    assert.deepEqual(service?.nodes[0]?.metadata, { broker: 'none', protocol: 'grpc', registry: 'consul', server: 'grpc', transport: 'grpc' });
  });

  it('keel-only fleet: FilterEndpoint + FilterLabel(protocol=grpc) reach every keel node; an endpoint nobody serves reaches none', async (t) => {
    if (!peers) return t.skip('KEEL_SKIP_E2E=1 and the go-micro peers could not be built');
    const a = await keel('epkeel');
    const b = await keel('epkeel');
    const replies = await filtered('epkeel', 6);
    assert.deepEqual(new Set(replies.map(replier)), new Set([a.id, b.id]));
    await assert.rejects(filtered('epkeel', 1, 'Basis.Nope'), /ERROR 1/);
  });

  for (const [order, goId] of [['keel entry first', 'ffffffff-ffff-4fff-8fff-ffffffffffff'], ['go-micro entry first', '00000000-0000-4000-8000-000000000000']] as const) {
    it(`mixed fleet, ${order}: the filtered go-micro client reaches keel and go-micro nodes`, async (t) => {
      if (!peers) return t.skip('KEEL_SKIP_E2E=1 and the go-micro peers could not be built');
      const service = `epmixed${goId[0]}`;
      const k = await keel(service);
      const g = await goMicro(service, goId);
      const ids = await consulOrder(service);
      assert.deepEqual(ids, order === 'keel entry first' ? [k.id, g] : [g, k.id], 'Consul lists the entries in the order under test');
      const replies = await filtered(service, 8);
      const reached = replies.map(replier);
      assert.equal(reached.filter((id) => id === k.id).length, 4, `keel node reached 4 of 8: ${reached.join(' ')}`);
      assert.equal(reached.filter((id) => id === g).length, 4, `go-micro node reached 4 of 8: ${reached.join(' ')}`);
    });
  }
});
