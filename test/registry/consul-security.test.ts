import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { status } from '@grpc/grpc-js';
import { consulRegistry, createClient, isKeelError, type Registry } from '../../src/index';
import { Basis, startBasis, type TestServer } from '../support/basis';
import { makePki, type Pki } from '../support/certs';
import { startConsul, type ConsulAgent } from '../support/consul-agent';
import { toolOrSkip } from '../support/external';
import { node } from './conformance';

const binary = toolOrSkip('consul', 'Consul ACL and HTTPS');
const skip = binary === undefined ? 'KEEL_SKIP_E2E=1 and consul is not installed' : false;
const MANAGEMENT = 'keel-bootstrap-management-token';

const registries: Registry[] = [];
const servers: TestServer[] = [];
const track = (r: Registry): Registry => (registries.push(r), r);
after(async () => {
  await Promise.all(servers.map((s) => s.server.stop()));
  await Promise.all(registries.map((r) => r.close()));
});

/** Calls `fn` with `vars` set in process.env, restoring them after (the registries read env at construction). */
function withEnv<T>(vars: Record<string, string>, fn: () => T): T {
  const saved = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]));
  Object.assign(process.env, vars);
  try {
    return fn();
  } finally {
    for (const [k, v] of Object.entries(saved)) if (v === undefined) delete process.env[k]; else process.env[k] = v;
  }
}

describe('Consul with ACLs on and default_policy = "deny"', { skip }, () => {
  let agent: ConsulAgent;
  let scoped: string;
  const api = async (method: string, path: string, body?: object): Promise<Record<string, unknown>> => {
    const res = await fetch(`http://${agent.address}/v1${path}`, {
      method, headers: { 'X-Consul-Token': MANAGEMENT }, ...(body ? { body: JSON.stringify(body) } : {}),
    });
    assert.ok(res.ok, `${method} ${path}: ${res.status} ${await res.clone().text()}`);
    return (await res.json()) as Record<string, unknown>;
  };
  before(async () => {
    agent = await startConsul(binary as string, { aclToken: MANAGEMENT });
    // What a keel (or go-micro) service needs: write its own service, read services and nodes for discovery.
    await api('PUT', '/acl/policy', {
      Name: 'keel-services',
      Rules: 'service_prefix "" { policy = "write" }\nnode_prefix "" { policy = "read" }',
    });
    scoped = (await api('PUT', '/acl/token', { Description: 'keel test', Policies: [{ Name: 'keel-services' }] })).SecretID as string;
  });
  after(async () => {
    await agent?.stop();
  });

  it('a token with service write/read registers a server and serves a client; from the option or CONSUL_HTTP_TOKEN', async () => {
    const s = await startBasis(track(consulRegistry({ address: agent.address, token: scoped })), { registerTtlMs: 30_000, registerIntervalMs: 10_000 });
    servers.push(s);
    const fromEnv = withEnv({ CONSUL_HTTP_TOKEN: scoped }, () => track(consulRegistry({ address: agent.address })));
    const client = createClient(Basis, 'basis', { registry: fromEnv });
    assert.equal((await client.hello({ name: 'acl' })).msg, `Hello acl from ${s.id}`);
    client.close();
  });

  it('server.start() fails clearly with no token or a wrong one', async () => {
    await assert.rejects(startBasis(track(consulRegistry({ address: agent.address }))),
      /start: registering basis-\S+ in the consul registry failed: .*HTTP 403\) \(check the ACL token\)/);
    await assert.rejects(startBasis(track(consulRegistry({ address: agent.address, token: '00000000-0000-4000-8000-000000000000' }))),
      /start: registering basis-\S+ in the consul registry failed: .*ACL not found.*HTTP 403\) \(check the ACL token\)/);
  });

  it('a client call fails with UNAVAILABLE / no_nodes saying why, with no token or a wrong one', async () => {
    const n = node('guarded');
    const owner = track(consulRegistry({ address: agent.address, token: scoped }));
    await owner.register(n, { ttlMs: 30_000 });
    const cases: Array<[string | undefined, RegExp]> = [
      [undefined, /ACL default policy is deny and no token was given/],
      ['00000000-0000-4000-8000-000000000000', /ACL not found.*HTTP 403\) \(check the ACL token\)/],
    ];
    for (const [token, why] of cases) {
      const client = createClient(Basis, 'guarded', { registry: track(consulRegistry({ address: agent.address, ...(token ? { token } : {}) })) });
      await assert.rejects(client.hello({ name: 'x' }), (err: unknown) => {
        assert.ok(isKeelError(err, 'no_nodes'), String(err));
        assert.equal(err.code, status.UNAVAILABLE);
        assert.match(err.details, why);
        return true;
      });
      client.close();
    }
    await owner.deregister(n);
  });
});

describe('Consul over HTTPS with client certificates', { skip }, () => {
  let agent: ConsulAgent;
  let pki: Pki;
  before(async () => {
    pki = makePki();
    agent = await startConsul(binary as string, { tls: { caFile: pki.ca.certFile, certFile: pki.server.certFile, keyFile: pki.server.keyFile } });
  });
  after(async () => {
    await agent?.stop();
    pki?.remove();
  });

  it('registers and looks up over HTTPS with the tls option', async () => {
    const registry = track(consulRegistry({ address: agent.httpsAddress, tls: { ca: pki.ca.certFile, cert: pki.client.certFile, key: pki.client.keyFile } }));
    const n = node('over-https');
    await registry.register(n, { ttlMs: 30_000 });
    assert.deepEqual((await registry.getService('over-https')).map((x) => x.id), [n.id]);
    await registry.deregister(n);
  });

  it('reads CONSUL_CACERT, CONSUL_CLIENT_CERT, CONSUL_CLIENT_KEY as the Consul CLI does (CONSUL_HTTP_ADDR=https://…)', async () => {
    const registry = withEnv({
      CONSUL_HTTP_ADDR: agent.httpsAddress as string,
      CONSUL_CACERT: pki.ca.certFile, CONSUL_CLIENT_CERT: pki.client.certFile, CONSUL_CLIENT_KEY: pki.client.keyFile,
      CONSUL_TLS_SERVER_NAME: 'localhost',
    }, () => track(consulRegistry()));
    const s = await startBasis(registry);
    servers.push(s);
    const client = createClient(Basis, 'basis', { registry });
    assert.equal((await client.hello({ name: 'https' })).msg, `Hello https from ${s.id}`);
    client.close();
  });

  it('fails clearly without a client certificate, or trusting another CA', async () => {
    const noCert = track(consulRegistry({ address: agent.httpsAddress, tls: { ca: pki.ca.cert } }));
    await assert.rejects(noCert.register(node('x'), { ttlMs: 30_000 }), /registering x-\S+ at https:\/\/127\.0\.0\.1:\d+ failed: .*certificate required/);
    const wrongCa = track(consulRegistry({ address: agent.httpsAddress, tls: { ca: pki.otherCa.cert, cert: pki.client.cert, key: pki.client.key } }));
    await assert.rejects(wrongCa.getService('x'), /looking up x at https:\/\/127\.0\.0\.1:\d+ failed: .*unable to (get local issuer certificate|verify the first certificate)/);
  });

  it('rejects tls with an http:// address, and a key without a certificate', () => {
    assert.throws(() => consulRegistry({ address: 'http://127.0.0.1:8500', tls: { ca: pki.ca.cert } }), { name: 'TypeError', message: /tls was given but the address says http:\/\// });
    assert.throws(() => consulRegistry({ address: agent.httpsAddress, tls: { key: pki.client.key } }), { name: 'TypeError', message: /consulRegistry: tls: cert and key go together/ });
  });
});
