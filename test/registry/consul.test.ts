import assert from 'node:assert/strict';
import { createServer, type Socket } from 'node:net';
import { inflateSync } from 'node:zlib';
import { after, before, describe, it } from 'node:test';
import { consulRegistry, createClient, type Registry, type ServiceNode } from '../../src/index';
import { Basis, eventually, replier, startBasis, type TestServer } from '../support/basis';
import { startConsul, type ConsulAgent } from '../support/consul-agent';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot, toolOrSkip } from '../support/external';
import { node, registryConformance } from './conformance';

const binary = toolOrSkip('consul', 'Consul registry');
const skip = binary === undefined ? 'KEEL_SKIP_E2E=1 and consul is not installed' : false;

let agent: ConsulAgent;
const registries: Registry[] = [];
const servers: TestServer[] = [];
const make = (extra: Parameters<typeof consulRegistry>[0] = {}): Registry => {
  const r = consulRegistry({ address: agent.address, waitMs: 5000, ...extra });
  registries.push(r);
  return r;
};
const unhex = (tag: string): string => inflateSync(Buffer.from(tag.slice(2), 'hex')).toString('utf8');
const consulGet = async (path: string, token?: string): Promise<unknown> => {
  const res = await fetch(`http://${agent.address}${path}`, token ? { headers: { 'X-Consul-Token': token } } : {});
  assert.ok(res.ok, `GET ${path}: ${res.status}`);
  return res.json();
};

describe('consulRegistry against a real Consul agent', { skip }, () => {
  before(async () => {
    agent = await startConsul(binary as string);
  });
  after(async () => {
    await Promise.all(servers.map((s) => s.server.stop()));
    await Promise.all(registries.map((r) => r.close()));
    await agent?.stop();
  });

  registryConformance('consul', () => make());

  it('registers a node the way go-micro does: one service per node, go-micro tags, a TTL check', async () => {
    const r = make();
    const n = node('gm-format', { version: '1.2.3', metadata: { protocol: 'grpc', zone: 'eu' }, address: '127.0.0.1:50051' });
    await r.register(n, { ttlMs: 30_000 });
    const services = (await consulGet('/v1/agent/services')) as Record<string, { ID: string; Service: string; Address: string; Port: number; Tags: string[]; Meta: Record<string, string> }>;
    const s = services[n.id];
    assert.ok(s, 'no Consul service with the node id');
    assert.deepEqual([s.ID, s.Service, s.Address, s.Port], [n.id, 'gm-format', '127.0.0.1', 50051]);
    assert.ok(s.Tags.every((t) => /^[tv]-[0-9a-f]+$/.test(t)), `tags: ${s.Tags}`);
    assert.deepEqual(s.Tags.filter((t) => t.startsWith('t-')).map(unhex).sort(), ['{"protocol":"grpc"}', '{"zone":"eu"}']);
    assert.deepEqual(s.Tags.filter((t) => t.startsWith('v-')).map(unhex), ['1.2.3']);
    assert.deepEqual(s.Meta, { protocol: 'grpc', zone: 'eu' }, 'go-micro v5 also writes the metadata as Meta');
    const checks = (await consulGet('/v1/agent/checks')) as Record<string, { Status: string; ServiceID: string; Type: string }>;
    const check = checks[`service:${n.id}`];
    assert.deepEqual([check?.ServiceID, check?.Status, check?.Type], [n.id, 'passing', 'ttl']);
    await r.deregister(n);
    assert.equal(((await consulGet('/v1/agent/services')) as Record<string, unknown>)[n.id], undefined);
  });

  it('leaves metadata keys Consul would reject out of Meta, but keeps them in the tags', async () => {
    const r = make();
    const n = node('gm-meta', { metadata: { 'a.b': 'dotted', ok: 'yes' } });
    await r.register(n, { ttlMs: 30_000 });
    const services = (await consulGet('/v1/agent/services')) as Record<string, { Meta: Record<string, string> }>;
    assert.deepEqual(services[n.id]?.Meta, { ok: 'yes' });
    assert.deepEqual((await r.getService('gm-meta'))[0]?.metadata, { 'a.b': 'dotted', ok: 'yes' });
    await r.deregister(n);
  });

  it('reads nodes that go-micro registered (plain and hex tags) and skips critical ones', async () => {
    const gm = {
      ID: 'basis-gomicro-1', Name: 'gm-read', Address: '127.0.0.1', Port: 41001,
      // As go-micro v5 encodes them (zlib + hex), for metadata {"protocol":"grpc"} and version "latest".
      Tags: [`t-${Buffer.from(require('node:zlib').deflateSync('{"protocol":"grpc"}')).toString('hex')}`, 't=' + '{"server":"grpc"}',
        `v-${Buffer.from(require('node:zlib').deflateSync('latest')).toString('hex')}`],
      Check: { TTL: '30s', DeregisterCriticalServiceAfter: '1m5s' },
    };
    const put = (path: string, body?: unknown): Promise<Response> =>
      fetch(`http://${agent.address}${path}`, { method: 'PUT', ...(body ? { body: JSON.stringify(body) } : {}) });
    assert.ok((await put('/v1/agent/service/register', gm)).ok);
    assert.ok((await put(`/v1/agent/check/pass/service:${gm.ID}`)).ok);
    const sick = { ...gm, ID: 'basis-gomicro-2', Port: 41002 };
    assert.ok((await put('/v1/agent/service/register', sick)).ok); // its TTL check starts critical
    const r = make();
    const found = await r.getService('gm-read');
    assert.deepEqual(found, [{ id: gm.ID, name: 'gm-read', version: 'latest', address: '127.0.0.1:41001', metadata: { protocol: 'grpc' } }]);
    await put(`/v1/agent/service/deregister/${gm.ID}`);
    await put(`/v1/agent/service/deregister/${sick.ID}`);
  });

  it('reads the registration go-micro v5 really makes (captured from a go-micro basis server)', async () => {
    const fixture = JSON.parse(readFileSync(join(repoRoot, 'test', 'interop', 'fixtures', 'gomicro-consul-registration.json'), 'utf8')) as {
      registerRequest: { body: { ID: string; Name: string; Address: string; Port: number } };
    };
    // Under a name of its own: Consul syncs a deregistration to its catalog asynchronously.
    const body = { ...fixture.registerRequest.body, Name: 'gm-replay' };
    const put = (path: string, json?: unknown): Promise<Response> =>
      fetch(`http://${agent.address}${path}`, { method: 'PUT', ...(json ? { body: JSON.stringify(json) } : {}) });
    assert.ok((await put('/v1/agent/service/register', body)).ok);
    assert.ok((await put(`/v1/agent/check/pass/service:${body.ID}`)).ok);
    const [found] = await make().getService(body.Name);
    // The endpoints too (for keel describe): the e- tags decoded by hand in the fixture, a null metadata read as {}.
    const decoded = JSON.parse(readFileSync(join(repoRoot, 'test', 'interop', 'fixtures', 'gomicro-tags-decoded.json'), 'utf8')) as {
      tags: Array<{ prefix: string; json: { metadata: unknown } }>;
    };
    const endpoints = decoded.tags.filter((t) => t.prefix === 'e-').map((t) => ({ ...t.json, metadata: t.json.metadata ?? {} }));
    assert.ok(endpoints.length > 0);
    assert.deepEqual(found, {
      id: body.ID, name: 'gm-replay', version: 'latest', address: `${body.Address}:${body.Port}`,
      metadata: { broker: 'http', protocol: 'grpc', registry: 'consul', server: 'grpc', transport: 'grpc' },
      endpoints,
    });
    await put(`/v1/agent/service/deregister/${body.ID}`);
  });

  it('sends a registered node traffic within a second, and none once it is stopped', async () => {
    const r = make();
    const basis = createClient(Basis, 'basis', { registry: r, timeoutMs: 3000 });
    // drainDelayMs: the time between deregistering and refusing calls that lets clients hear of it first (the
    // helper's 0 made the next call race Consul's blocking query: ECONNREFUSED on a loaded machine).
    const a = await startBasis(r, { registerTtlMs: 10_000, registerIntervalMs: 3000, drainDelayMs: 500 });
    servers.push(a);
    assert.equal(replier((await basis.hello({ name: 'x' })).msg), a.id);
    const b = await startBasis(r, { registerTtlMs: 10_000, registerIntervalMs: 3000 });
    servers.push(b);
    const t0 = Date.now();
    await eventually(async () => replier((await basis.hello({ name: 'x' })).msg) === b.id, 'the new node to get a call', 3000);
    assert.ok(Date.now() - t0 < 1500, `took ${Date.now() - t0} ms`);
    await a.server.stop();
    for (let i = 0; i < 20; i++) assert.equal(replier((await basis.hello({ name: 'y' })).msg), b.id, 'a stopped node got a call');
    basis.close();
  });

  it('keeps the last known nodes while Consul is down, and resyncs when it comes back', async () => {
    const r = make({ backoffMinMs: 50, backoffMaxMs: 500 });
    const n = node('outage');
    await r.register(n, { ttlMs: 60_000 });
    const seen: string[][] = [];
    const stop = r.watch('outage', (nodes) => seen.push(nodes.map((x) => x.id)));
    await eventually(() => seen.at(-1)?.join() === n.id, 'the first list');
    await agent.kill();
    await assert.rejects(r.getService('outage'));
    await new Promise((res) => setTimeout(res, 1200));
    assert.equal(seen.at(-1)?.join(), n.id, 'the watcher dropped its nodes while Consul was down');
    await agent.restart(); // a fresh dev agent: empty, and its index counts from low again
    await eventually(() => seen.at(-1)?.join() === '', 'the watcher to resync with the empty Consul', 5000);
    const m = node('outage');
    await make().register(m, { ttlMs: 60_000 });
    await eventually(() => seen.at(-1)?.join() === m.id, 'the watcher to see a node registered after the restart', 5000);
    stop();
  });

  it('backs off instead of busy-looping when Consul refuses every connection', async () => {
    let connections = 0;
    const sink = createServer((socket: Socket) => {
      connections++;
      socket.destroy();
    });
    await new Promise<void>((res) => sink.listen(0, '127.0.0.1', res));
    const port = (sink.address() as { port: number }).port;
    const r = consulRegistry({ address: `127.0.0.1:${port}`, backoffMinMs: 100, backoffMaxMs: 1000 });
    const stop = r.watch('nowhere', () => assert.fail('no list may be published from a failing Consul'));
    await new Promise((res) => setTimeout(res, 2500));
    stop();
    await r.close();
    sink.close();
    // 100, 200, 400, 800, 1000… ms (with jitter between half and all of each): at most ~12 tries in 2.5 s.
    assert.ok(connections >= 2 && connections <= 14, `${connections} connections in 2.5 s`);
  });

  it('rejects bad options, naming them', () => {
    assert.throws(() => consulRegistry({ address: '' }), { name: 'TypeError', message: /address/ });
    assert.throws(() => consulRegistry({ address: 'http://127.0.0.1:99999' }), { name: 'RangeError', message: /address/ });
    assert.throws(() => consulRegistry({ waitMs: 0 }), { name: 'RangeError', message: /waitMs/ });
    assert.throws(() => consulRegistry({ backoffMinMs: 500, backoffMaxMs: 100 }), { name: 'RangeError', message: /backoffMaxMs/ });
    assert.throws(() => consulRegistry({ token: 5 as never }), { name: 'TypeError', message: /token/ });
    assert.throws(() => consulRegistry({ adress: 'x' } as never), { name: 'TypeError', message: /unknown option "adress"/ });
  });
});

describe('consulRegistry with ACLs', { skip }, () => {
  let secured: ConsulAgent;
  before(async () => {
    secured = await startConsul(binary as string, { aclToken: 'keel-root-token' });
  });
  after(async () => {
    await secured?.stop();
  });

  it('sends the token, and fails clearly without it', async () => {
    const withToken = consulRegistry({ address: secured.address, token: 'keel-root-token' });
    const without = consulRegistry({ address: secured.address });
    const n: ServiceNode = node('acl-svc');
    await assert.rejects(without.register(n, { ttlMs: 30_000 }), /registering acl-svc-.* failed: .*HTTP 403.*check the ACL token/);
    await withToken.register(n, { ttlMs: 30_000 });
    assert.deepEqual((await withToken.getService('acl-svc')).map((x) => x.id), [n.id]);
    await assert.rejects(without.getService('acl-svc'), /looking up acl-svc .*ACL default policy is deny and no token was given/);
    await withToken.deregister(n);
    await Promise.all([withToken.close(), without.close()]);
  });
});
