import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createClient, kubernetesRegistry, type KubernetesRegistryOptions, type KubernetesWatchEvent, type Registry, type ServiceNode } from '../../src/index';
import { Basis, eventually, replier } from '../support/basis';
import { makePki, type Pki } from '../support/certs';
import { endpointSlice, startKubeApi, type KubeApi } from '../support/kube-apiserver';
import { createNetNs, netnsUnavailable, type NetNs } from '../support/netns';
import { keel } from '../toolkit/cli/run-keel';
import { skipE2E, toolOrSkip } from '../support/external';
import { Backoff } from '../../src/backoff';
import { ApiClient } from '../../src/registry/kubernetes/api';
import { resolveApiConfig } from '../../src/registry/kubernetes/config';
import { SliceWatch } from '../../src/registry/kubernetes/slice-watch';
import { mergeSlices, sliceNodes } from '../../src/registry/kubernetes/slices';

const RATE = 200;
const SLICES = '/apis/discovery.k8s.io/v1/namespaces/default/endpointslices';
const FIXTURE = join(__dirname, '..', 'fixtures', 'netns-basis-server.js');

const noNetns = netnsUnavailable();
if (noNetns !== undefined && skipE2E) process.stderr.write(`\n!!! KEEL_SKIP_E2E=1: SKIPPING the Kubernetes registry suite: ${noNetns}\n\n`);
// Not installed: a clear failure, or (KEEL_SKIP_E2E=1) a loud skip.
const apiserver = noNetns !== undefined && skipE2E ? undefined : toolOrSkip('kubernetes', 'Kubernetes registry');
const skip = apiserver === undefined ? 'KEEL_SKIP_E2E=1 and kube-apiserver or a network namespace is not available' : false;

describe('kubernetesRegistry against a real kube-apiserver', { timeout: 1_200_000, skip }, () => {
  let api: KubeApi | undefined;
  let ns: NetNs | undefined;
  let pki: Pki;
  let dir: string;
  const registries: Registry[] = [];
  const servers: ChildProcess[] = [];

  before(async () => {
    if (noNetns !== undefined) throw new Error(`the Kubernetes registry tests need a network namespace: ${noNetns}`);
    api = await startKubeApi('Kubernetes registry');
    ns = createNetNs(4);
    pki = makePki();
    dir = mkdtempSync(join(tmpdir(), 'keel-k8s-test-'));
  }, { timeout: 300_000 });
  after(async () => {
    await Promise.all(registries.map((r) => r.close()));
    for (const s of servers) s.kill('SIGKILL');
    ns?.remove();
    pki?.remove();
    if (dir) rmSync(dir, { recursive: true, force: true });
    await api?.stop();
  });

  const make = (extra: KubernetesRegistryOptions = {}): Registry => {
    const r = kubernetesRegistry({ kubeconfig: (api as KubeApi).info.kubeconfig, backoffMaxMs: 500, ...extra });
    registries.push(r);
    return r;
  };
  /** A kubeconfig like the infra's, with `edit` applied to its text. */
  const kubeconfig = (name: string, edit: (text: string) => string): string => {
    const file = join(dir, name);
    writeFileSync(file, edit(readFileSync((api as KubeApi).info.kubeconfig, 'utf8')));
    return file;
  };
  const putSlice = async (slice: object & { metadata?: { name?: string } }): Promise<void> => {
    const name = slice.metadata?.name as string;
    const got = await (api as KubeApi).call('GET', `${SLICES}/${name}`);
    if (got.status === 404) await (api as KubeApi).ok('POST', SLICES, slice);
    else await (api as KubeApi).ok('PUT', `${SLICES}/${name}`, { ...slice, metadata: { ...(slice as { metadata: object }).metadata, resourceVersion: got.body.metadata.resourceVersion } });
  };
  const addresses = (nodes: ServiceNode[]): string => nodes.map((n) => n.address).sort().join(',');

  it('runs kube-apiserver, which refuses loopback addresses in EndpointSlices (why the servers live in a network namespace)', async () => {
    const k = api as KubeApi;
    assert.match(k.info.version, /^v1\.37\./);
    assert.match(k.info.url, /^https:\/\/127\.0\.0\.1:\d+$/);
    const version = await k.ok('GET', '/version');
    assert.equal(version.gitVersion, k.info.version);
    const res = await k.call('POST', SLICES, endpointSlice('loop', 'loop-1', [{ ip: '127.0.0.1', pod: 'loop-1' }]));
    assert.equal(res.status, 422);
    assert.match(JSON.stringify(res.body), /loopback/);
  });

  it('verifies the API server against the cluster CA, and authenticates with a client certificate', async () => {
    await putSlice(endpointSlice('tls-check', 'tls-check-1', [{ ip: ns!.addresses[0] as string, pod: 'tls-check-a' }]));
    const k = api as KubeApi;
    const right = make({ kubeconfig: kubeconfig('right', (t) => t) });
    assert.equal(addresses(await right.getService('tls-check')), `${ns!.addresses[0]}:50051`);
    const wrongCa = make({ kubeconfig: kubeconfig('wrong-ca', (t) => t.replace(k.info.caFile, pki.otherCa.certFile)) });
    await assert.rejects(wrongCa.getService('tls-check'), /kubernetesRegistry: listing the EndpointSlices of Service default\/tls-check at https:\/\/127\.0\.0\.1:\d+ failed: .*(certificate|self.signed)/i);
    const noCa = make({ kubeconfig: kubeconfig('no-ca', (t) => t.replace(/^ {4}certificate-authority: .*\n/m, '')) });
    await assert.rejects(noCa.getService('tls-check'), /certificate/i, 'without a CA, Node\'s public roots do not trust a private cluster');
    const cert = make({
      kubeconfig: kubeconfig('client-cert', (t) => t.replace(/token: .*/, `client-certificate: ${k.info.clientCertFile}\n    client-key: ${k.info.clientKeyFile}`)),
    });
    assert.equal((await cert.getService('tls-check')).length, 1, 'a client certificate in system:masters may list');
    const anonymous = make({ kubeconfig: kubeconfig('anonymous', (t) => t.replace(/\n {4}token: .*/, '')) });
    await assert.rejects(anonymous.getService('tls-check'), /HTTP (401|403)/);
  });

  it('sees a slice created, changed and deleted within 1 s, with zone and node name', async () => {
    const r = make();
    const seen: Array<{ at: number; nodes: ServiceNode[] }> = [];
    const stop = r.watch('discovery', (nodes) => seen.push({ at: Date.now(), nodes }));
    await new Promise((res) => setTimeout(res, 500)); // the watch is open
    const [a, b] = ns!.addresses as [string, string];
    const timed = async (what: string, change: () => Promise<void>, want: string): Promise<number> => {
      const t0 = Date.now();
      await change();
      await eventually(() => addresses(seen.at(-1)?.nodes ?? []) === want, what, 5000);
      const ms = (seen.at(-1) as { at: number }).at - t0;
      assert.ok(ms < 1000, `${what}: ${ms} ms`);
      return ms;
    };
    const created = await timed('a new slice', () => putSlice(endpointSlice('discovery', 'discovery-1', [{ ip: a, pod: 'd-a', zone: 'eu-1a' }])), `${a}:50051`);
    assert.deepEqual(seen.at(-1)?.nodes[0], { id: 'd-a:50051', name: 'discovery', version: '', address: `${a}:50051`, metadata: { 'topology.kubernetes.io/zone': 'eu-1a', 'kubernetes.io/hostname': 'node-1' } });
    const grown = await timed('an endpoint added', () => putSlice(endpointSlice('discovery', 'discovery-1', [{ ip: a, pod: 'd-a' }, { ip: b, pod: 'd-b' }])), `${a}:50051,${b}:50051`);
    const unready = await timed('an endpoint not ready', () => putSlice(endpointSlice('discovery', 'discovery-1', [{ ip: a, pod: 'd-a' }, { ip: b, pod: 'd-b', ready: false }])), `${a}:50051`);
    const second = await timed('a second slice', () => putSlice(endpointSlice('discovery', 'discovery-2', [{ ip: b, pod: 'd-b' }])), `${a}:50051,${b}:50051`);
    const deleted = await timed('a slice deleted', async () => void (await api!.ok('DELETE', `${SLICES}/discovery-1`)), `${b}:50051`);
    console.log(`discovery latency (ms): created ${created}, grown ${grown}, not ready ${unready}, second slice ${second}, deleted ${deleted}`);
    assert.equal(addresses(await r.getService('discovery')), `${b}:50051`);
    assert.ok((await r.listServices()).includes('discovery'));
    stop();
  });

  it(`scales up and down, and drains a terminating endpoint, under ${RATE} calls/s with 0 failed calls`, { timeout: 300_000 }, async () => {
    const [a, b, c] = ns!.addresses as [string, string, string];
    // drainDelayMs 1500: as in a pod, SIGTERM and the endpoint turning terminating happen together; the
    // server keeps serving while the clients hear of it (discovery takes < 1 s).
    const start = async (ip: string): Promise<{ child: ChildProcess; id: string }> => {
      const { child, line } = await ns!.spawnNode(FIXTURE, [`${ip}:50051`, '1500']);
      servers.push(child);
      return { child, id: (JSON.parse(line) as { id: string }).id };
    };
    const pods = { a: await start(a) };
    const slice = (eps: Parameters<typeof endpointSlice>[2]): Promise<void> => putSlice(endpointSlice('scale', 'scale-1', eps));
    await slice([{ ip: a, pod: 'scale-a' }]);
    const client = createClient(Basis, 'scale', { registry: make(), timeoutMs: 2000 });
    const answered = new Map<string, number>();
    const failures: string[] = [];
    let sent = 0; // calls due so far (after a stall of this process, the missed ones are skipped, not sent)
    let calls = 0; // calls made
    let loading = true;
    const inFlight = new Set<Promise<void>>();
    const load = (async () => {
      const t0 = Date.now();
      while (loading && Date.now() - t0 < 120_000) {
        const due = Math.floor(((Date.now() - t0) / 1000) * RATE);
        if (due - sent > RATE / 10) sent = due - RATE / 10; // after a stall, no burst
        for (; sent < due; sent++) {
          calls++;
          const p = client.hello({ name: 'k8s' }).then(
            (res) => void answered.set(replier(res.msg), (answered.get(replier(res.msg)) ?? 0) + 1),
            (err: { reason?: string; message: string }) => void failures.push(`${err.reason ?? ''} ${err.message}`),
          ).finally(() => inFlight.delete(p));
          inFlight.add(p);
        }
        await new Promise((res) => setTimeout(res, 5));
      }
    })();
    const countOf = (id: string): number => answered.get(id) ?? 0;
    try {
      await eventually(() => countOf(pods.a.id) > 50, 'calls to the first pod', 10_000);
      // Scale up: the pods start, then the controller lists them (after their readiness probe).
      const more = { b: await start(b), c: await start(c) };
      const t0 = Date.now();
      await slice([{ ip: a, pod: 'scale-a' }, { ip: b, pod: 'scale-b' }, { ip: c, pod: 'scale-c' }]);
      await eventually(() => countOf(more.b.id) > 0 && countOf(more.c.id) > 0, 'calls to the new pods', 5000);
      const upMs = Date.now() - t0;
      await new Promise((res) => setTimeout(res, 2000));
      // Scale down one pod: terminating (not ready, still serving) and SIGTERM at the same moment.
      const before = countOf(more.c.id);
      more.c.child.kill('SIGTERM');
      await slice([{ ip: a, pod: 'scale-a' }, { ip: b, pod: 'scale-b' }, { ip: c, pod: 'scale-c', ready: false, serving: true, terminating: true }]);
      await new Promise((res) => setTimeout(res, 1000));
      const afterSecond = countOf(more.c.id);
      await new Promise((res) => setTimeout(res, 1500));
      assert.equal(countOf(more.c.id), afterSecond, 'the terminating pod got no call more than 1 s after it turned terminating');
      await slice([{ ip: a, pod: 'scale-a' }, { ip: b, pod: 'scale-b' }]); // the pod is gone
      // Scale down to one: the second pod leaves the same way.
      more.b.child.kill('SIGTERM');
      await slice([{ ip: a, pod: 'scale-a' }, { ip: b, pod: 'scale-b', ready: false, serving: true, terminating: true }]);
      await new Promise((res) => setTimeout(res, 2500));
      await slice([{ ip: a, pod: 'scale-a' }]);
      const lastA = countOf(pods.a.id);
      await eventually(() => countOf(pods.a.id) > lastA + 200, 'calls continue on the remaining pod', 10_000);
      loading = false;
      await load;
      await Promise.all(inFlight);
      console.log(`scale: ${calls} calls at ${RATE}/s, ${failures.length} failed; up: new pods served ${upMs} ms after the slice changed; ` +
        `the terminating pod served ${afterSecond - before} calls in the second after it turned terminating, none in the 1.5 s after that; ` +
        `per pod ${JSON.stringify(Object.fromEntries(answered))}`);
      assert.deepEqual(failures.slice(0, 5), [], `${failures.length} calls failed`);
      assert.ok(calls >= RATE * 6, `only ${calls} calls made`);
      assert.ok(upMs < 2000, `the new pods got calls only ${upMs} ms after the slice listed them`);
    } finally {
      loading = false;
      await load;
      client.close();
    }
  });

  it('keeps the last nodes while the API server is away, resumes its watch after a restart, and lists again on 410 Gone', { timeout: 600_000 }, async () => {
    const [a, b] = ns!.addresses as [string, string];
    await putSlice(endpointSlice('restart', 'restart-1', [{ ip: a, pod: 'r-a' }]));
    const events: Array<KubernetesWatchEvent & { at: number }> = [];
    const r = make({ onEvent: (e) => void events.push({ ...e, at: Date.now() }) });
    const seen: string[] = [];
    const stop = r.watch('restart', (nodes) => seen.push(addresses(nodes)));
    await eventually(() => seen.at(-1) === `${a}:50051`, 'the first list', 5000);
    // Another write moves etcd's revision past what this watch has seen; the restarted API server's watch
    // cache starts after it, so resuming from the old version is answered 410 Gone.
    await putSlice(endpointSlice('restart-other', 'restart-other-1', [{ ip: b, pod: 'o-b' }]));
    const lastVersion = [...events].reverse().find((e) => e.type === 'list' || e.type === 'watch') as { resourceVersion: string };
    const down = Date.now();
    await api!.restart();
    const up = Date.now();
    assert.deepEqual(seen, [`${a}:50051`], 'no list was published while the API server was away (never an empty one)');
    assert.ok(events.some((e) => e.type === 'error' && e.at >= down), 'the watch failed while the API server was away');
    await putSlice(endpointSlice('restart', 'restart-1', [{ ip: a, pod: 'r-a' }, { ip: b, pod: 'r-b' }]));
    await eventually(() => seen.at(-1) === `${a}:50051,${b}:50051`, 'a change after the restart', 10_000);
    const after = events.filter((e) => e.at >= down);
    // While it was away the registry kept trying to resume its watch (never a fresh list), from the version it had.
    const firstTry = after.find((e) => e.type !== 'error');
    const resumed = firstTry?.type === 'watch' && BigInt(firstTry.resourceVersion) >= BigInt(lastVersion.resourceVersion) ? firstTry : undefined;
    const expired = after.find((e) => e.type === 'expired');
    const relisted = after.find((e) => e.type === 'list');
    console.log(`restart: API server down for ${up - down} ms; events after: ${after.map((e) => e.type === 'error' ? `error(${e.error.message.slice(0, 60)}…)` : `${e.type}${'resourceVersion' in e ? `@${e.resourceVersion}` : ''}`).join(' ')}`);
    assert.ok(resumed, `the watch was resumed from resourceVersion ${lastVersion.resourceVersion} (first try: ${JSON.stringify(firstTry)})`);
    assert.ok(expired, 'the resumed watch was answered 410 Gone');
    assert.ok(relisted && relisted.at >= (expired as { at: number }).at, 'and the registry listed again');
    stop();
  });

  it('resumes a watch the API server ends (its timeoutSeconds) from the last version, without listing again', async () => {
    const [a, b] = ns!.addresses as [string, string];
    await putSlice(endpointSlice('resume', 'resume-1', [{ ip: a, pod: 'rs-a' }]));
    const config = resolveApiConfig((api as KubeApi).info.kubeconfig, {}, 'test');
    const client = new ApiClient(config, { requestTimeoutMs: 5000, maxBodyBytes: 1 << 20, maxEventBytes: 1 << 20 });
    const events: KubernetesWatchEvent[] = [];
    const seen: string[] = [];
    // The registry asks for 4–6 minutes a watch; 1 s here, so the server ends several while the test runs.
    const watch = new SliceWatch({
      api: client, service: 'resume', collection: SLICES, parse: (x) => sliceNodes(x, 'resume', 'grpc'),
      onSlices: (slices) => seen.push(addresses(mergeSlices(slices.values(), true))), onEvent: (e) => void events.push(e),
      backoff: new Backoff({ initialMs: 50, maxMs: 200 }), watchTimeoutS: 1, idleMs: 10_000, maxSlices: 10,
    });
    try {
      await eventually(() => events.filter((e) => e.type === 'watch').length >= 3, 'three watches', 15_000);
      await putSlice(endpointSlice('resume', 'resume-1', [{ ip: a, pod: 'rs-a' }, { ip: b, pod: 'rs-b' }]));
      await eventually(() => seen.at(-1) === `${a}:50051,${b}:50051`, 'the change, seen by a resumed watch', 5000);
      await eventually(() => events.filter((e) => e.type === 'watch').length >= 5, 'more watches', 15_000);
      assert.equal(events.filter((e) => e.type === 'list').length, 1, `listed once: ${events.map((e) => e.type).join(' ')}`);
      assert.deepEqual(events.filter((e) => e.type === 'error' || e.type === 'expired'), []);
      const versions = events.filter((e) => e.type === 'watch').map((e) => BigInt((e as { resourceVersion: string }).resourceVersion));
      assert.ok(versions.every((v, i) => i === 0 || v >= (versions[i - 1] as bigint)), 'each watch resumes from the last version seen');
      assert.ok((versions.at(-1) as bigint) > (versions[0] as bigint), 'the change moved the version on');
    } finally {
      watch.stop();
      client.close();
    }
  });

  it('says clearly when RBAC refuses the list, naming the permission to grant', async () => {
    const k = api as KubeApi;
    await k.ok('POST', '/api/v1/namespaces/default/serviceaccounts', { metadata: { name: 'keel-nobody' } });
    const minted = await k.ok('POST', '/api/v1/namespaces/default/serviceaccounts/keel-nobody/token', { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: { expirationSeconds: 3600 } });
    const file = kubeconfig('nobody', (t) => t.replace(/token: .*/, `token: ${minted.status.token}`));
    const events: KubernetesWatchEvent[] = [];
    const r = make({ kubeconfig: file, onEvent: (e) => void events.push(e) });
    await assert.rejects(r.getService('discovery'), (err: Error & { status?: number }) => {
      assert.equal(err.status, 403);
      assert.match(err.message, /HTTP 403 Forbidden: endpointslices\.discovery\.k8s\.io is forbidden: User "system:serviceaccount:default:keel-nobody" cannot list resource "endpointslices"/);
      assert.match(err.message, /RBAC: the identity needs get, list and watch on endpointslices\.discovery\.k8s\.io in namespace default/);
      return true;
    });
    const stop = r.watch('discovery', () => assert.fail('a refused watch published a list'));
    await eventually(() => events.some((e) => e.type === 'error'), 'the watch to report its failure', 5000);
    const failure = events.find((e) => e.type === 'error') as { error: Error };
    assert.match(failure.error.message, /watching the EndpointSlices of Service default\/discovery .*403.*RBAC/);
    stop();
  });

  it('reads the namespace it is given, and lists services with a usable endpoint', async () => {
    const k = api as KubeApi;
    await k.ok('POST', '/api/v1/namespaces', { metadata: { name: 'keel-shop' } });
    await k.ok('POST', '/apis/discovery.k8s.io/v1/namespaces/keel-shop/endpointslices', endpointSlice('cart', 'cart-1', [{ ip: ns!.addresses[3] as string, pod: 'cart-a' }]));
    await k.ok('POST', '/apis/discovery.k8s.io/v1/namespaces/keel-shop/endpointslices', endpointSlice('idle', 'idle-1', [{ ip: ns!.addresses[2] as string, pod: 'idle-a', ready: false }]));
    const shop = make({ namespace: 'keel-shop' });
    assert.equal(addresses(await shop.getService('cart')), `${ns!.addresses[3]}:50051`);
    assert.deepEqual(await shop.listServices(), ['cart']);
    assert.deepEqual(await make().getService('cart'), [], 'not in the default namespace');
    // The CLI, with --registry kubernetes and a kubeconfig whose context names the namespace.
    const file = kubeconfig('shop', (t) => t.replace('namespace: default', 'namespace: keel-shop'));
    const run = await keel(['services', '--json', '--registry', 'kubernetes', '--registry_address', file], {});
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual((JSON.parse(run.stdout) as Array<{ name: string; nodes: number }>).map(({ name, nodes }) => ({ name, nodes })), [{ name: 'cart', nodes: 1 }]);
  });
});
