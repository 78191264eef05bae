import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { localRegistry, type Registry } from '../../../src/index';
import { startBasis, type TestServer } from '../../support/basis';
import { makePki, type Pki } from '../../support/certs';
import { keel } from './run-keel';

describe('keel CLI over TLS: call, describe and health with --tls_ca, against a real TLS server', () => {
  const dir = mkdtempSync(join(tmpdir(), 'keel-cli-tls-'));
  const env = { MICRO_REGISTRY: 'local', MICRO_REGISTRY_ADDRESS: dir };
  let pki: Pki;
  let registry: Registry;
  let server: TestServer;

  before(async () => {
    pki = makePki();
    registry = localRegistry({ dir });
    server = await startBasis(registry, { tls: { cert: pki.server.cert, key: pki.server.key } });
  });
  after(async () => {
    await server?.server.stop();
    await registry?.close();
    pki?.remove();
    rmSync(dir, { recursive: true, force: true });
  });

  it('verifies the nodes against the CA and the service name', async () => {
    const call = await keel(['call', 'basis', 'Basis.Hello', '{"name":"tls"}', '--tls_ca', pki.ca.certFile], env);
    assert.equal(call.code, 0, call.stderr);
    assert.match(JSON.parse(call.stdout).msg, new RegExp(`^Hello tls from ${server.id}`));
    const health = await keel(['health', 'basis', '--json', '--tls_ca', pki.ca.certFile], env);
    assert.equal(health.code, 0, health.stderr);
    assert.equal(JSON.parse(health.stdout).nodes[0].status, 'SERVING');
    const described = await keel(['describe', 'basis', '--json', '--tls_ca', pki.ca.certFile, '--tls_server_name', 'localhost'], env);
    assert.equal(described.code, 0, described.stderr);
    assert.deepEqual(JSON.parse(described.stdout).endpoints.map((e: { name: string; source: string }) => [e.name, e.source]), [['Basis.Hello', 'reflection']]);
  });

  it('fails, in one line, without TLS, with the wrong CA, or the wrong name', async () => {
    const plain = await keel(['health', 'basis'], env);
    assert.equal(plain.code, 3);
    assert.match(plain.stdout, /UNREACHABLE\s+UNAVAILABLE: /);
    for (const extra of [['--tls_ca', pki.otherCa.certFile], ['--tls_ca', pki.ca.certFile, '--tls_server_name', 'elsewhere']]) {
      const run = await keel(['call', 'basis', 'Basis.Hello', '{}', ...extra], env);
      assert.equal(run.code, 1, `${extra.join(' ')}: ${run.stderr}`);
      assert.match(run.stderr, /^ERROR \w+ \([a-z_]+\): [^\n]+\n$/);
    }
  });

  it('rejects bad TLS flags with exit 2, naming the flag', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['--tls_ca', '/nonexistent/ca.pem'], /^keel: --tls_ca: cannot read "\/nonexistent\/ca\.pem"/],
      [['--tls_cert', pki.client.certFile], /^keel: --tls_cert and --tls_key go together$/],
      [['--tls_ca', __filename], /^keel: --tls_ca is not PEM/],
      [['--tls_server_name='], /^keel: --tls_server_name needs a non-empty value$/],
    ];
    for (const [extra, pattern] of cases) {
      const run = await keel(['health', 'basis', ...extra], env);
      assert.equal(run.code, 2, `${extra.join(' ')}: ${run.stderr}`);
      assert.match(run.stderr.split('\n')[0] ?? '', pattern);
    }
  });
});
