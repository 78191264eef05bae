import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { status } from '@grpc/grpc-js';
import { Etcd3, Range } from 'etcd3';
import { createClient, etcdRegistry, isKeelError, type EtcdRegistryOptions, type Registry } from '../../src/index';
import { Basis, startBasis, type TestServer } from '../support/basis';
import { makePki, type Pki } from '../support/certs';
import { startEtcd, type EtcdServer } from '../support/etcd-server';
import { node } from './conformance';

const registries: Registry[] = [];
const servers: TestServer[] = [];
let pki: Pki;
let etcd: EtcdServer | undefined;
const PASSWORD = 'keel-test-password';

/**
 * A registry over TLS with a client certificate, verifying etcd's certificate as `localhost` (no DEP0123).
 * The endpoint is given by name, not 127.0.0.1: etcd3's authentication call opens its own channel without
 * the registry's grpc options, so it sends the endpoint's host as the TLS server name, and Node >= 26 refuses
 * an IP address there (docs/security.md says so).
 */
const make = (extra: Partial<EtcdRegistryOptions> = {}): Registry => {
  const r = etcdRegistry({
    endpoints: (etcd?.endpoint as string).replace('127.0.0.1', 'localhost'),
    requestTimeoutMs: 3000,
    tls: { ca: pki.ca.certFile, cert: pki.client.certFile, key: pki.client.keyFile, serverName: 'localhost' },
    ...extra,
  });
  registries.push(r);
  return r;
};

before(async () => {
  pki = makePki();
  etcd = await startEtcd('the etcd TLS and auth tests', {
    tls: { caFile: pki.ca.certFile, certFile: pki.server.certFile, keyFile: pki.server.keyFile,
      clientCertFile: pki.client.certFile, clientKeyFile: pki.client.keyFile, clientCertAuth: true },
  });
  if (etcd === undefined) return;
  // auth enable needs a root user with the root role; keel then gets a user of its own, with
  // read-write on go-micro's registry prefix only.
  const admin = new Etcd3({ hosts: etcd.endpoint, credentials: { rootCertificate: Buffer.from(pki.ca.cert), certChain: Buffer.from(pki.client.cert), privateKey: Buffer.from(pki.client.key) },
    grpcOptions: { 'grpc.ssl_target_name_override': 'localhost', 'grpc.default_authority': 'localhost' } });
  try {
    await admin.user('root').create('root-password');
    await admin.role('root').create();
    await admin.user('root').addRole('root');
    await admin.role('keel').create();
    await admin.role('keel').grant({ permission: 'Readwrite', range: Range.prefix('/micro/registry/') });
    await admin.user('keel').create(PASSWORD);
    await admin.user('keel').addRole('keel');
    await admin.auth.authEnable();
  } finally {
    admin.close();
  }
});
after(async () => {
  await Promise.all(servers.map((s) => s.server.stop()));
  await Promise.all(registries.map((r) => r.close()));
  await etcd?.stop();
  pki?.remove();
});

// Without etcd (allowed only with KEEL_SKIP_E2E=1, and then printed loudly by startEtcd) each test skips itself.
describe('etcd with TLS, client certificates and auth', () => {
  it('registers a server and serves a client, with user and password from the option or ETCD_USERNAME/ETCD_PASSWORD', async (t) => {
    if (etcd === undefined) return t.skip('no etcd (KEEL_SKIP_E2E=1)');
    const s = await startBasis(make({ auth: { username: 'keel', password: PASSWORD } }));
    servers.push(s);
    const saved = [process.env.ETCD_USERNAME, process.env.ETCD_PASSWORD];
    process.env.ETCD_USERNAME = 'keel';
    process.env.ETCD_PASSWORD = PASSWORD;
    let fromEnv: Registry;
    try {
      fromEnv = make();
    } finally {
      [process.env.ETCD_USERNAME, process.env.ETCD_PASSWORD] = saved;
      if (saved[0] === undefined) delete process.env.ETCD_USERNAME;
      if (saved[1] === undefined) delete process.env.ETCD_PASSWORD;
    }
    const client = createClient(Basis, 'basis', { registry: fromEnv });
    assert.equal((await client.hello({ name: 'etcd' })).msg, `Hello etcd from ${s.id}`);
    client.close();
  });

  it('server.start() fails clearly with a wrong password or none, and a client call fails with no_nodes saying why', async (t) => {
    if (etcd === undefined) return t.skip('no etcd (KEEL_SKIP_E2E=1)');
    await assert.rejects(startBasis(make({ auth: { username: 'keel', password: 'wrong' } })),
      /start: registering basis-\S+ in the etcd registry failed: .*authentication failed, invalid user ID or password/);
    await assert.rejects(startBasis(make()), /start: registering basis-\S+ in the etcd registry failed: .*permission denied \(etcd has auth enabled and no user was given/);
    const client = createClient(Basis, 'basis', { registry: make({ auth: { username: 'keel', password: 'wrong' } }) });
    await assert.rejects(client.hello({ name: 'x' }), (err: unknown) => {
      assert.ok(isKeelError(err, 'no_nodes'), String(err));
      assert.equal(err.code, status.UNAVAILABLE);
      assert.match(err.details, /the etcd registry failed: .*authentication failed, invalid user ID or password/);
      return true;
    });
    client.close();
  });

  it('fails clearly without a client certificate, or trusting another CA', async (t) => {
    if (etcd === undefined) return t.skip('no etcd (KEEL_SKIP_E2E=1)');
    const auth = { username: 'keel', password: PASSWORD };
    const noCert = make({ auth, tls: { ca: pki.ca.cert, serverName: 'localhost' } });
    await assert.rejects(noCert.register(node('x'), { ttlMs: 5000 }), /certificate required|alert bad certificate|if etcd runs with --client-cert-auth, give tls\.cert and tls\.key/);
    const wrongCa = make({ auth, tls: { ca: pki.otherCa.cert, cert: pki.client.cert, key: pki.client.key, serverName: 'localhost' } });
    await assert.rejects(wrongCa.getService('x'), /unable to (get local issuer certificate|verify the first certificate)|check that tls\.ca signed etcd's certificate/);
  });
});
