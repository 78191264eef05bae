import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { kubernetesRegistry, type Registry } from '../../src/index';
import { CONSIGNMENT_SERVICE, VESSEL_SERVICE } from '../../examples/shippy/proto';
import { repoRoot, toolOrSkip } from '../support/external';
import { endpointSlice, startKubeApi, type KubeApi } from '../support/kube-apiserver';

const DIR = join(repoRoot, 'examples', 'shippy', 'k8s');

/** Where each kind is created (the manifests use only these). */
const COLLECTIONS: Record<string, (ns: string) => string> = {
  'v1/Namespace': () => '/api/v1/namespaces',
  'v1/ServiceAccount': (ns) => `/api/v1/namespaces/${ns}/serviceaccounts`,
  'v1/Service': (ns) => `/api/v1/namespaces/${ns}/services`,
  'apps/v1/Deployment': (ns) => `/apis/apps/v1/namespaces/${ns}/deployments`,
  'batch/v1/Job': (ns) => `/apis/batch/v1/namespaces/${ns}/jobs`,
  'rbac.authorization.k8s.io/v1/Role': (ns) => `/apis/rbac.authorization.k8s.io/v1/namespaces/${ns}/roles`,
  'rbac.authorization.k8s.io/v1/RoleBinding': (ns) => `/apis/rbac.authorization.k8s.io/v1/namespaces/${ns}/rolebindings`,
};

// No kubelet, scheduler or controller runs here: the manifests are created for real in a real API server
// (strict field validation, admission, RBAC), but no pod starts; the EndpointSlices the controller would
// write for the Services are written by hand.
const apiserver = toolOrSkip('kubernetes', 'shippy on Kubernetes');

describe('examples/shippy/k8s on a real kube-apiserver', { timeout: 600_000, skip: apiserver === undefined && 'KEEL_SKIP_E2E=1 and kube-apiserver is not installed' }, () => {
  let api: KubeApi | undefined;
  let dir: string;
  const registries: Registry[] = [];
  before(async () => {
    api = await startKubeApi('shippy on Kubernetes');
    dir = mkdtempSync(join(tmpdir(), 'keel-shippy-k8s-'));
  }, { timeout: 300_000 });
  after(async () => {
    await Promise.all(registries.map((r) => r.close()));
    if (dir) rmSync(dir, { recursive: true, force: true });
    await api?.stop();
  });

  const files = readdirSync(DIR).filter((f) => f.endsWith('.yaml')).sort((a, b) => (a === 'rbac.yaml' ? -1 : b === 'rbac.yaml' ? 1 : a.localeCompare(b)));

  it('every manifest is accepted with strict field validation (rbac.yaml first: it makes the namespace)', async () => {
    const k = api as KubeApi;
    const created: string[] = [];
    for (const file of files) {
      for (const doc of readFileSync(join(DIR, file), 'utf8').split(/^---$/m)) {
        const apiVersion = /^apiVersion: (\S+)$/m.exec(doc)?.[1];
        const kind = /^kind: (\S+)$/m.exec(doc)?.[1];
        const ns = /^ {2}namespace: (\S+)$/m.exec(doc)?.[1] ?? '';
        const collection = COLLECTIONS[`${apiVersion}/${kind}`];
        assert.ok(collection, `${file}: no collection known for ${apiVersion} ${kind}`);
        // YAML as kubectl sends it; Strict: an unknown or duplicated field is an error, not ignored.
        await k.ok('POST', `${collection(ns)}?fieldValidation=Strict`, doc, { contentType: 'application/yaml' });
        created.push(`${kind}/${/^ {2}name: (\S+)$/m.exec(doc)?.[1]}`);
      }
    }
    assert.deepEqual(created.filter((c) => c.startsWith('Service/')).sort(), ['Service/shippy-service-consignment', 'Service/shippy-service-vessel']);
    for (const name of ['shippy-service-vessel', 'shippy-service-consignment']) {
      const svc = await k.ok('GET', `/api/v1/namespaces/shippy/services/${name}`);
      assert.deepEqual(svc.spec.ports.map((p: { name: string }) => p.name), ['grpc'], `${name} has the port named grpc`);
    }
    const deployment = await k.ok('GET', '/apis/apps/v1/namespaces/shippy/deployments/vessel-service');
    const container = deployment.spec.template.spec.containers[0];
    assert.equal(container.readinessProbe.grpc.port, 9090, 'readiness is a gRPC probe (grpc.health.v1)');
    assert.equal(container.livenessProbe.grpc.port, 9090);
    assert.deepEqual(container.env.find((e: { name: string }) => e.name === 'MICRO_REGISTRY'), { name: 'MICRO_REGISTRY', value: 'kubernetes' });
    assert.equal(deployment.spec.template.spec.serviceAccountName, 'shippy');
    // The same check refuses a misspelt field (so the acceptance above means something).
    const vessel = readFileSync(join(DIR, 'vessel-service.yaml'), 'utf8').split(/^---$/m)[1] as string;
    const typo = await k.call('POST', '/apis/apps/v1/namespaces/shippy/deployments?fieldValidation=Strict&dryRun=All',
      vessel.replace('name: vessel-service\n', 'name: vessel-typo\n').replace('readinessProbe:', 'readynessProbe:'), { contentType: 'application/yaml' });
    assert.equal(typo.status, 400);
    assert.match(JSON.stringify(typo.body), /unknown field.*readynessProbe/);
  });

  it("the shippy service account's token may read EndpointSlices in shippy only, and a keel client finds the pods", async () => {
    const k = api as KubeApi;
    const minted = await k.ok('POST', '/api/v1/namespaces/shippy/serviceaccounts/shippy/token',
      { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: { expirationSeconds: 3600 } });
    const kubeconfig = join(dir, 'shippy');
    writeFileSync(kubeconfig, readFileSync(k.info.kubeconfig, 'utf8').replace(/token: .*/, `token: ${minted.status.token}`));
    // As the EndpointSlice controller would write them for two ready vessel pods and one consignment pod
    // (only read back here: nothing is ever sent to these addresses).
    const slices = '/apis/discovery.k8s.io/v1/namespaces/shippy/endpointslices';
    await k.ok('POST', slices, endpointSlice('shippy-service-vessel', 'shippy-service-vessel-abcde',
      [{ ip: '10.244.7.10', pod: 'vessel-service-6d4-aaaaa' }, { ip: '10.244.7.11', pod: 'vessel-service-6d4-bbbbb' }], 9090));
    await k.ok('POST', slices, endpointSlice('shippy-service-consignment', 'shippy-service-consignment-fghij',
      [{ ip: '10.244.7.12', pod: 'consignment-service-7c9-ccccc' }, { ip: '10.244.7.13', pod: 'consignment-service-7c9-ddddd', ready: false }], 9090));
    const registry = kubernetesRegistry({ kubeconfig, namespace: 'shippy' });
    registries.push(registry);
    assert.deepEqual((await registry.getService(VESSEL_SERVICE)).map((n) => n.address).sort(), ['10.244.7.10:9090', '10.244.7.11:9090']);
    assert.deepEqual((await registry.getService(CONSIGNMENT_SERVICE)).map((n) => n.address), ['10.244.7.12:9090'], 'the pod not ready is left out');
    assert.deepEqual(await registry.listServices(), ['shippy-service-consignment', 'shippy-service-vessel']);
    const seen: string[][] = [];
    const stop = registry.watch(VESSEL_SERVICE, (nodes) => seen.push(nodes.map((n) => n.address).sort()));
    const until = Date.now() + 5000;
    while (seen.length === 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
    stop();
    assert.deepEqual(seen[0], ['10.244.7.10:9090', '10.244.7.11:9090'], 'the Role allows watch too');
    const elsewhere = kubernetesRegistry({ kubeconfig, namespace: 'default' });
    registries.push(elsewhere);
    await assert.rejects(elsewhere.getService(VESSEL_SERVICE), /403.*RBAC/, 'the Role is for shippy only');
  });
});
