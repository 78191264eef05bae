import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { credentials, ServerCredentials, status } from '@grpc/grpc-js';
import { createClient, createServer, memoryRegistry, type ClientTlsOptions, type KeelServer, type Registry, type ServerTlsOptions } from '../src/index';
import { Basis, startBasis } from './support/basis';
import { makePki, type Pki } from './support/certs';

const run = promisify(execFile);
let pki: Pki;
const servers: KeelServer[] = [];
before(() => {
  pki = makePki();
});
after(async () => {
  await Promise.all(servers.map((s) => s.stop()));
  pki?.remove();
});

/** A TLS basis server in its own memory registry. */
async function serve(tls: ServerTlsOptions): Promise<Registry> {
  const registry = memoryRegistry();
  servers.push((await startBasis(registry, { tls })).server);
  return registry;
}

/** One call with a client using `tls`: its reply, or the error. */
async function call(registry: Registry, tls: ClientTlsOptions, service = 'basis'): Promise<{ msg?: string; err?: { code: number; details: string } }> {
  const client = createClient(Basis, service === 'basis' ? 'basis' : service, { registry, tls, timeoutMs: 5000 });
  try {
    return { msg: (await client.hello({ name: 'tls' })).msg };
  } catch (err) {
    return { err: err as { code: number; details: string } };
  } finally {
    client.close();
  }
}

describe('TLS and mutual TLS between keel clients and servers', () => {
  it('mutual TLS: a client with a certificate from the trusted CA is served, verified by service name', async () => {
    const registry = await serve({ cert: pki.server.certFile, key: pki.server.keyFile, ca: pki.ca.certFile });
    // Files and PEM text both work; the node's address is an IP, the name checked is "basis".
    const viaFiles = await call(registry, { ca: pki.ca.certFile, cert: pki.client.certFile, key: pki.client.keyFile });
    assert.match(viaFiles.msg ?? String(viaFiles.err?.details), /^Hello tls from basis-/);
    const viaPem = await call(registry, { ca: pki.ca.cert, cert: Buffer.from(pki.client.cert), key: pki.client.key });
    assert.match(viaPem.msg ?? String(viaPem.err?.details), /^Hello tls from basis-/);
  });

  it('TLS without client certificates when the server has no ca', async () => {
    const registry = await serve({ cert: pki.server.cert, key: pki.server.key });
    const res = await call(registry, { ca: pki.ca.cert });
    assert.match(res.msg ?? String(res.err?.details), /^Hello tls/);
  });

  it('a client that trusts another CA fails with UNAVAILABLE saying the certificate is not trusted', async () => {
    const registry = await serve({ cert: pki.server.cert, key: pki.server.key });
    const { err } = await call(registry, { ca: pki.otherCa.cert });
    assert.equal(err?.code, status.UNAVAILABLE, String(err?.details));
    assert.match(err.details, /unable to (get local issuer certificate|verify the first certificate)/);
  });

  it('an expired server certificate fails with UNAVAILABLE saying it has expired', async () => {
    const registry = await serve({ cert: pki.expiredServer.cert, key: pki.expiredServer.key });
    const { err } = await call(registry, { ca: pki.ca.cert });
    assert.equal(err?.code, status.UNAVAILABLE, String(err?.details));
    assert.match(err.details, /certificate has expired/);
  });

  it('a server certificate for another name fails with UNAVAILABLE naming the name checked', async () => {
    const registry = memoryRegistry();
    const s = createServer({ name: 'other', registry, drainDelayMs: 0, tls: { cert: pki.server.cert, key: pki.server.key } });
    s.addService(Basis, { Hello: () => ({ msg: 'hi' }) });
    await s.start();
    servers.push(s);
    const { err } = await call(registry, { ca: pki.ca.cert }, 'other');
    assert.equal(err?.code, status.UNAVAILABLE, String(err?.details));
    assert.match(err.details, /Host: other\. is not in the cert's altnames/);
    const named = await call(registry, { ca: pki.ca.cert, serverName: 'basis' }, 'other');
    assert.equal(named.msg, 'hi', 'serverName overrides the service name');
  });

  it('a client without a certificate is refused by a mutual-TLS server with UNAVAILABLE', async () => {
    const registry = await serve({ cert: pki.server.cert, key: pki.server.key, ca: pki.ca.cert });
    const { err } = await call(registry, { ca: pki.ca.cert });
    assert.equal(err?.code, status.UNAVAILABLE, String(err?.details));
    assert.match(err.details, /certificate required/);
  });

  it('a client certificate from another CA is refused with UNAVAILABLE', async () => {
    const registry = await serve({ cert: pki.server.cert, key: pki.server.key, ca: pki.ca.cert });
    const { err } = await call(registry, { ca: pki.ca.cert, cert: pki.stranger.cert, key: pki.stranger.key });
    assert.equal(err?.code, status.UNAVAILABLE, String(err?.details));
    // All the client can know: a Node server checks the client certificate after the TLS 1.3 handshake
    // and closes the connection without an alert (docs/security.md, TLS and mutual TLS, says so).
    assert.match(err.details, /No connection established\. Last error: Failed to connect/);
  });

  it('prints no DEP0123 warning (the grpc-js credentials pass-through, the control, warns, or fails on Node >= 26)', async () => {
    const fixture = join(__dirname, 'fixtures', 'tls-call.js');
    const env = { ...process.env, KEEL_PKI_DIR: pki.dir };
    const keel = await run(process.execPath, [fixture, 'tls'], { env, timeout: 30_000 });
    assert.equal(keel.stdout.trim(), '{"ok":true}');
    assert.doesNotMatch(keel.stderr, /DEP0123|DeprecationWarning|ServerName to an IP address/, keel.stderr);
    // Node 26 turned DEP0123 into an error: an IP address as the TLS server name is refused outright.
    const control = await run(process.execPath, [fixture, 'credentials'], { env, timeout: 30_000 }).then(
      (r) => ({ ...r, failed: false }),
      (err: { stdout?: string; stderr?: string }) => ({ stdout: err.stdout ?? '', stderr: err.stderr ?? '', failed: true }),
    );
    if (control.failed) assert.match(control.stderr, /Setting the TLS ServerName to an IP address is not permitted/, control.stderr);
    else {
      assert.equal(control.stdout.trim(), '{"ok":true}');
      assert.match(control.stderr, /DEP0123/, 'the control did not warn: this test could not fail');
    }
  });
});

describe('tls option validation', () => {
  const registry = memoryRegistry();
  it('refuses bad client tls options at construction, naming the option', () => {
    const cases: Array<[unknown, string, RegExp]> = [
      ['ca.pem', 'TypeError', /tls must be an object/],
      [{ ca: '/nonexistent/ca.pem' }, 'TypeError', /tls\.ca: cannot read "\/nonexistent\/ca\.pem"/],
      [{ ca: Buffer.from('not pem') }, 'TypeError', /tls\.ca is not PEM/],
      [{ cert: pki.client.cert }, 'TypeError', /cert and key go together; got only cert/],
      [{ serverName: '' }, 'TypeError', /tls\.serverName must be a non-empty string/],
      [{ ca: pki.ca.cert, insecure: true }, 'TypeError', /tls: unknown option "insecure"/],
    ];
    for (const [tls, name, message] of cases) {
      assert.throws(() => createClient(Basis, 'basis', { registry, tls: tls as ClientTlsOptions }), { name, message }, JSON.stringify(tls));
    }
    assert.throws(() => createClient(Basis, 'basis', { registry, tls: { ca: pki.ca.cert }, credentials: credentials.createInsecure() }),
      { name: 'TypeError', message: /tls or credentials, not both/ });
  });

  it('refuses bad server tls options at construction, naming the option', () => {
    const cases: Array<[unknown, RegExp]> = [
      [{ cert: pki.server.cert }, /tls needs cert and key/],
      [{ cert: pki.server.cert, key: pki.server.key, requireClientCert: true }, /requireClientCert needs tls\.ca/],
      [{ cert: pki.server.cert, key: pki.server.key, ca: pki.ca.cert, requireClientCert: 'yes' }, /requireClientCert must be a boolean/],
      [{ cert: 'nope.crt', key: pki.server.key }, /tls\.cert: cannot read "nope\.crt"/],
    ];
    for (const [tls, message] of cases) {
      assert.throws(() => createServer({ name: 'basis', registry, tls: tls as ServerTlsOptions }), { name: 'TypeError', message }, JSON.stringify(tls));
    }
    assert.throws(() => createServer({ name: 'basis', registry, tls: { cert: pki.server.cert, key: pki.server.key }, credentials: ServerCredentials.createInsecure() }),
      { name: 'TypeError', message: /tls or credentials, not both/ });
  });
});
