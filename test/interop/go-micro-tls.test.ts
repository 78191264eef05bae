import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { consulRegistry, createClient, type Registry } from '../../src/index';
import { Basis, startBasis, type TestServer } from '../support/basis';
import { makePki, type Pki } from '../support/certs';
import { startConsul, type ConsulAgent } from '../support/consul-agent';
import { toolOrSkip } from '../support/external';
import { goMicroPeers } from '../support/go-micro-peers';

const run = promisify(execFile);
const consulBinary = toolOrSkip('consul', 'go-micro TLS interoperability');


describe('mutual TLS between keel and go-micro v5 (go-micro\'s grpc AuthTLS)', { skip: consulBinary === undefined && 'consul missing (KEEL_SKIP_E2E=1)' }, () => {
  let consul: ConsulAgent;
  let pki: Pki;
  let peers: { server: string; client: string } | undefined;
  const registries: Registry[] = [];
  const keelServers: TestServer[] = [];
  const children: ChildProcess[] = [];
  const registry = (): Registry => {
    const r = consulRegistry({ address: consul.address, waitMs: 5000 });
    registries.push(r);
    return r;
  };
  const goMicroClient = (args: string[]): Promise<{ stdout: string; stderr: string }> =>
    run(peers!.client, ['--registry_address', consul.address, ...args], { timeout: 30_000 });

  before(async () => {
    peers = await goMicroPeers('go-micro TLS interoperability');
    pki = makePki();
    consul = await startConsul(consulBinary as string);
  });
  after(async () => {
    await Promise.all(keelServers.map((s) => s.server.stop()));
    await Promise.all(children.map((c) => new Promise((r) => {
      if (c.exitCode !== null) return r(undefined);
      c.once('exit', r);
      c.kill('SIGTERM');
    })));
    await Promise.all(registries.map((r) => r.close()));
    await consul?.stop();
    pki?.remove();
  });

  it('a keel client calls a go-micro server over mutual TLS, verified by service name', async (t) => {
    if (!peers) return t.skip('KEEL_SKIP_E2E=1 and the go-micro peers could not be built');
    const child = spawn(peers.server, ['--name', 'gotls', '--registry_address', consul.address,
      '--tls_cert', pki.server.certFile, '--tls_key', pki.server.keyFile, '--tls_ca', pki.ca.certFile], { stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(child);
    let err = '';
    child.stderr?.on('data', (d: Buffer) => (err += d));
    const id = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout?.on('data', (d: Buffer) => {
        out += d;
        const ready = /READY (\S+)/.exec(out);
        if (ready) resolve(ready[1] as string);
      });
      child.once('exit', (code) => reject(new Error(`go-micro server exited ${code}: ${err}`)));
    });
    // The server certificate names "basis"; the go-micro service is "gotls": serverName says which.
    const tls = { ca: pki.ca.certFile, cert: pki.client.certFile, key: pki.client.keyFile, serverName: 'basis' };
    const client = createClient(Basis, 'gotls', { registry: registry(), tls });
    assert.match((await client.hello({ name: 'keel' })).msg, new RegExp(`^Hello keel from ${id} `));
    client.close();
    // Without a client certificate, go-micro's server (RequireAndVerifyClientCert) refuses.
    const anonymous = createClient(Basis, 'gotls', { registry: registry(), tls: { ca: pki.ca.certFile, serverName: 'basis' } });
    await assert.rejects(anonymous.hello({ name: 'x' }), (e: { code: number; details: string }) => {
      assert.equal(e.code, 14, e.details);
      assert.match(e.details, /certificate required|bad certificate/); // TLS 1.3 or 1.2 alert, as Go negotiates
      return true;
    });
    anonymous.close();
  });

  it('a go-micro client calls a keel server over mutual TLS; without a certificate it is refused', async (t) => {
    if (!peers) return t.skip('KEEL_SKIP_E2E=1 and the go-micro peers could not be built');
    const s = await startBasis(registry(), { tls: { cert: pki.server.cert, key: pki.server.key, ca: pki.ca.cert }, registerTtlMs: 10_000, registerIntervalMs: 3000 });
    keelServers.push(s);
    const { stdout } = await goMicroClient(['--service', 'basis', '--request_name', 'go-micro',
      '--tls_ca', pki.ca.certFile, '--tls_cert', pki.client.certFile, '--tls_key', pki.client.keyFile]);
    assert.equal(stdout.trim(), `Hello go-micro from ${s.id}`);
    await assert.rejects(goMicroClient(['--service', 'basis', '--tls_ca', pki.ca.certFile]),
      // grpc-go reports the server's alert, or, when the write loses the race with it, the broken pipe.
      (e: { stderr: string }) => (assert.match(e.stderr, /ERROR 1 .*"code":503.*(remote error: tls: certificate required|broken pipe|connection reset)/), true));
  });
});
