import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { kubernetesRegistry } from '../../src/index';
import { resolveApiConfig } from '../../src/registry/kubernetes/config';
import { parseKubeconfigYaml } from '../../src/registry/kubernetes/kubeconfig-yaml';
import { defaultServiceName, mergeSlices, sliceNodes } from '../../src/registry/kubernetes/slices';

const slice = (extra: Record<string, unknown> = {}, endpoints: unknown[] = []): unknown => ({
  kind: 'EndpointSlice',
  metadata: { name: 'basis-abc12', labels: { 'kubernetes.io/service-name': 'basis', 'app.kubernetes.io/version': '1.2.0' } },
  addressType: 'IPv4',
  ports: [{ name: 'metrics', port: 9100, protocol: 'TCP' }, { name: 'grpc', port: 50051, protocol: 'TCP' }],
  endpoints,
  ...extra,
});
const ep = (ip: string, conditions: Record<string, boolean> | undefined, extra: Record<string, unknown> = {}): unknown =>
  ({ addresses: [ip], ...(conditions ? { conditions } : {}), ...extra });

describe('EndpointSlice → nodes', () => {
  it('takes ready endpoints with the grpc port, zone and node name in metadata, the version label', () => {
    const s = sliceNodes(slice({}, [
      ep('10.0.0.1', { ready: true }, { zone: 'eu-1a', nodeName: 'worker-1', targetRef: { kind: 'Pod', name: 'basis-7d9-x2' } }),
      ep('10.0.0.2', undefined), // no conditions: ready (the API says to read unknown as ready)
      ep('10.0.0.3', { ready: false }),
      ep('10.0.0.4', { ready: false, serving: true, terminating: true }),
    ]), 'basis', 'grpc');
    assert.deepEqual(s?.ready, [
      { id: 'basis-7d9-x2:50051', name: 'basis', version: '1.2.0', address: '10.0.0.1:50051', metadata: { 'topology.kubernetes.io/zone': 'eu-1a', 'kubernetes.io/hostname': 'worker-1' } },
      { id: '10.0.0.2:50051', name: 'basis', version: '1.2.0', address: '10.0.0.2:50051', metadata: {} },
    ]);
    assert.deepEqual(s?.servingTerminating.map((n) => n.address), ['10.0.0.4:50051']);
  });

  it('uses serving terminating endpoints only when none is ready, and only if asked', () => {
    const draining = sliceNodes(slice({}, [ep('10.0.0.4', { ready: false, serving: true, terminating: true })]), 'basis', 'grpc')!;
    const live = sliceNodes(slice({ metadata: { name: 'basis-2', labels: { 'kubernetes.io/service-name': 'basis' } } }, [ep('10.0.0.5', { ready: true })]), 'basis', 'grpc')!;
    assert.deepEqual(mergeSlices([draining], true).map((n) => n.address), ['10.0.0.4:50051']);
    assert.deepEqual(mergeSlices([draining], false), []);
    assert.deepEqual(mergeSlices([draining, live], true).map((n) => n.address), ['10.0.0.5:50051']);
  });

  it('picks the named port, else the only one; brackets IPv6; skips FQDN slices and wrong families', () => {
    const one = slice({ ports: [{ name: 'web', port: 8080 }] }, [ep('10.0.0.1', { ready: true })]);
    assert.equal(sliceNodes(one, 'basis', 'grpc')?.ready[0]?.address, '10.0.0.1:8080');
    const two = slice({ ports: [{ name: 'a', port: 1 }, { name: 'b', port: 2 }] }, [ep('10.0.0.1', { ready: true })]);
    assert.deepEqual(sliceNodes(two, 'basis', 'grpc')?.ready, [], 'two ports, none named grpc: no port to choose');
    assert.equal(sliceNodes(two, 'basis', 'b')?.ready[0]?.address, '10.0.0.1:2');
    const v6 = slice({ addressType: 'IPv6' }, [ep('fd00::1', { ready: true }), ep('10.0.0.1', { ready: true })]);
    assert.deepEqual(sliceNodes(v6, 'basis', 'grpc')?.ready.map((n) => n.address), ['[fd00::1]:50051']);
    assert.deepEqual(sliceNodes(slice({ addressType: 'FQDN' }, [ep('example.com', { ready: true })]), 'basis', 'grpc')?.ready, []);
  });

  it('distrusts every field: hostile or malformed slices and endpoints are skipped, not thrown', () => {
    for (const bad of [null, 'x', [], { metadata: null }, slice({ metadata: { name: '../x', labels: { 'kubernetes.io/service-name': 'basis' } } }),
      slice({ metadata: { name: 'ok', labels: { 'kubernetes.io/service-name': 'Bad_Name' } } })]) {
      assert.equal(sliceNodes(bad, 'basis', 'grpc'), undefined, JSON.stringify(bad));
    }
    const s = sliceNodes(slice({ ports: [{ name: 'grpc', port: 70000 }] }, [ep('10.0.0.1', { ready: true })]), 'basis', 'grpc');
    assert.deepEqual(s?.ready, [], 'an out-of-range port');
    const odd = sliceNodes(slice({}, [
      { addresses: ['not-an-ip'] }, { addresses: 'x' }, { addresses: [1] }, null, 7,
      ep('10.0.0.9', { ready: true }, { zone: 'x'.repeat(500), nodeName: 'a b', targetRef: { kind: 'Pod', name: { evil: true } } }),
    ]), 'basis', 'grpc');
    assert.deepEqual(odd?.ready, [{ id: '10.0.0.9:50051', name: 'basis', version: '1.2.0', address: '10.0.0.9:50051', metadata: {} }]);
    const many = sliceNodes(slice({}, Array.from({ length: 5000 }, (_, i) => ep(`10.1.${i >> 8}.${i & 255}`, { ready: true }))), 'basis', 'grpc');
    assert.equal(many?.ready.length, 1000, 'at most 1000 endpoints a slice, as the API allows');
  });

  it('maps keel names to Service names', () => {
    assert.equal(defaultServiceName('basis'), 'basis');
    assert.equal(defaultServiceName('shippy.service.vessel'), 'shippy-service-vessel');
    assert.equal(defaultServiceName('Go.Micro_Srv'), 'go-micro-srv');
    assert.equal(defaultServiceName('1abc'), undefined);
    assert.equal(defaultServiceName('x'.repeat(64)), undefined);
  });
});

describe('kubeconfig', () => {
  const dir = mkdtempSync(join(tmpdir(), 'keel-kubeconfig-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const CA = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
  writeFileSync(join(dir, 'ca.crt'), CA);
  writeFileSync(join(dir, 'token'), 'file-token\n');

  // As kubectl writes it (sequences at the key's indentation, `{}`, quoted strings), with a comment.
  const KUBECTL = `apiVersion: v1
clusters:
- cluster:
    certificate-authority: ca.crt
    server: https://10.0.0.1:6443/prefix/
  name: prod
- cluster:
    certificate-authority-data: ${Buffer.from(CA).toString('base64')}
    server: "https://127.0.0.1:6443"
  name: 'dev'
contexts:
- context:
    cluster: dev
    namespace: shop   # a comment
    user: dev-user
  name: dev
- context:
    cluster: prod
    user: prod-user
  name: prod
current-context: dev
kind: Config
preferences: {}
users:
- name: dev-user
  user:
    token: abc#def
- name: prod-user
  user:
    tokenFile: token
- name: cloud-user
  user:
    exec:
      apiVersion: client.authentication.k8s.io/v1
      args:
      - get-token
      - --cluster
      command: aws
      env: null
`;

  it('reads the YAML kubectl writes, and JSON', () => {
    const doc = parseKubeconfigYaml(KUBECTL, 'k') as Record<string, unknown>;
    assert.equal(doc['current-context'], 'dev');
    assert.deepEqual(doc.preferences, {});
    const users = doc.users as Array<Record<string, Record<string, unknown>>>;
    assert.equal(users[0]?.user?.token, 'abc#def', 'a # inside a value is not a comment');
    assert.deepEqual((users[2]?.user?.exec as Record<string, unknown>).args, ['get-token', '--cluster']);
    assert.equal((users[2]?.user?.exec as Record<string, unknown>).env, null);
    assert.deepEqual(parseKubeconfigYaml('{"a": [1]}', 'k'), { a: [1] });
  });

  it('refuses YAML it does not understand, naming the line', () => {
    assert.throws(() => parseKubeconfigYaml('a: &anchor x\n', 'f'), /f:1: unsupported YAML/);
    assert.throws(() => parseKubeconfigYaml('a:\n  b: 1\n c: 2\n', 'f'), /f:3: unexpected indentation/);
    assert.throws(() => parseKubeconfigYaml('a: |\n  text\n', 'f'), /f:1/);
    assert.throws(() => parseKubeconfigYaml('a: 1\na: 2\n', 'f'), /duplicate key/);
    assert.throws(() => parseKubeconfigYaml('a: "open\n', 'f'), /unterminated/);
    assert.throws(() => parseKubeconfigYaml(`${'a:\n'.repeat(1)}${Array.from({ length: 40 }, (_, i) => `${' '.repeat(2 * i + 2)}k:`).join('\n')}\n`, 'f'), /too deep/);
  });

  it('resolves the current context: server, CA (file or data), token, token file, namespace', () => {
    const file = join(dir, 'config');
    writeFileSync(file, KUBECTL);
    const dev = resolveApiConfig(file, {}, 'k');
    assert.equal(dev.server.origin, 'https://127.0.0.1:6443');
    assert.equal(dev.ca?.toString(), CA);
    assert.equal(dev.token(), 'abc#def');
    assert.equal(dev.namespace, 'shop');
    writeFileSync(file, KUBECTL.replace('current-context: dev', 'current-context: prod'));
    const prod = resolveApiConfig(undefined, { KUBECONFIG: `${file}:/nonexistent` }, 'k');
    assert.equal(prod.ca?.toString(), CA, 'a relative certificate-authority path is read next to the kubeconfig');
    assert.equal(prod.token(), 'file-token');
    assert.equal(prod.namespace, 'default');
    assert.equal(prod.server.pathname, '/prefix/');
  });

  it('refuses what it cannot do safely, saying what to use instead', () => {
    const file = join(dir, 'bad');
    const write = (text: string): string => (writeFileSync(file, text), file);
    assert.throws(() => resolveApiConfig(write(KUBECTL.replace('current-context: dev', 'current-context: cloud').replace('- context:\n    cluster: prod\n    user: prod-user\n  name: prod',
      '- context:\n    cluster: prod\n    user: cloud-user\n  name: cloud')), {}, 'k'), /user\.exec.*not supported.*token/);
    assert.throws(() => resolveApiConfig(write(KUBECTL.replace('"https://127.0.0.1:6443"', 'http://127.0.0.1:8080')), {}, 'k'), /must be https/);
    assert.throws(() => resolveApiConfig(write(KUBECTL.replace('    server: "https', '    insecure-skip-tls-verify: true\n    server: "https')), {}, 'k'), /insecure-skip-tls-verify in .*: not supported/);
    assert.throws(() => resolveApiConfig(write(KUBECTL.replace('current-context: dev', 'current-context: nope')), {}, 'k'), /no context named "nope"/);
    assert.throws(() => resolveApiConfig(join(dir, 'missing'), {}, 'k'), /cannot read/);
  });

  it('in a pod: the service account token (read again as it rotates), CA and namespace', () => {
    const sa = join(dir, 'sa');
    rmSync(sa, { recursive: true, force: true });
    mkdirSync(sa);
    writeFileSync(join(sa, 'token'), 'pod-token');
    writeFileSync(join(sa, 'ca.crt'), CA);
    writeFileSync(join(sa, 'namespace'), 'shippy\n');
    const c = resolveApiConfig(undefined, { KUBERNETES_SERVICE_HOST: '10.96.0.1', KUBERNETES_SERVICE_PORT: '443' }, 'k', sa);
    assert.equal(c.server.origin, 'https://10.96.0.1');
    assert.equal(c.token(), 'pod-token');
    assert.equal(c.namespace, 'shippy');
    assert.equal(c.source, 'in-cluster');
  });

  it('validates options at construction, naming them', () => {
    const file = join(dir, 'config');
    writeFileSync(file, KUBECTL);
    assert.throws(() => kubernetesRegistry({ kubeconfig: file, namespace: 'Bad_NS' }), { name: 'TypeError', message: /namespace/ });
    assert.throws(() => kubernetesRegistry({ kubeconfig: '' }), { name: 'TypeError', message: /kubeconfig/ });
    assert.throws(() => kubernetesRegistry({ kubeconfig: file, requestTimeoutMs: -1 }), { name: 'RangeError', message: /requestTimeoutMs/ });
    assert.throws(() => kubernetesRegistry({ kubeconfig: file, maxSlices: 0 }), { name: 'RangeError', message: /maxSlices/ });
    assert.throws(() => kubernetesRegistry({ kubeconfig: file, portname: 'x' } as never), { name: 'TypeError', message: /unknown option "portname"/ });
    const r = kubernetesRegistry({ kubeconfig: file });
    assert.equal(r.kind, 'kubernetes');
    assert.throws(() => r.watch('1-bad', () => undefined), /maps to no valid Kubernetes Service name/);
    void r.close();
  });
});
