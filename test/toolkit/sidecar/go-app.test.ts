import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { closeClient, consulRegistry, createClient, type Registry } from '../../../src/index';
import { createGateway } from '../../../src/toolkit/gateway/gateway';
import { startSidecar, type Sidecar } from '../../../src/toolkit/sidecar/index';
import { Basis, eventually } from '../../support/basis';
import { startConsul, type ConsulAgent } from '../../support/consul-agent';
import { toolOrSkip } from '../../support/external';
import { goMicroPeers, runGoMicroClient, type GoMicroPeers } from '../../support/go-micro-peers';
import { startGoApp, type GoApp } from './go-app';

const TIMING = { intervalMs: 100, checkTimeoutMs: 500, failAfter: 2, recoverAfter: 2, registerTtlMs: 3000, registerIntervalMs: 1000 };
// The documented bound: the check in flight when the app changed, then failAfter (= recoverAfter) more.
const BOUND_MS = TIMING.failAfter * (TIMING.intervalMs + TIMING.checkTimeoutMs) + TIMING.checkTimeoutMs;
const SLACK_MS = 1000;
const consulBinary = toolOrSkip('consul', 'sidecar with a Go gRPC app');

describe('keel sidecar on Consul: a Go gRPC server with no keel and no go-micro code', { skip: consulBinary === undefined && 'consul missing (KEEL_SKIP_E2E=1)' }, () => {
  let consul: ConsulAgent;
  let registry: Registry;
  let peers: GoMicroPeers | undefined;
  let binary: string | undefined;
  const apps: GoApp[] = [];
  const sidecars: Sidecar[] = [];
  const ids = async (): Promise<string[]> => (await registry.getService('legacy-go')).map((n) => n.id);

  before(async () => {
    peers = await goMicroPeers('sidecar with a Go gRPC app');
    binary = peers?.plainGrpc;
    consul = await startConsul(consulBinary as string);
    registry = consulRegistry({ address: consul.address, waitMs: 5000 });
  });
  after(async () => {
    await Promise.all(sidecars.map((s) => s.stop()));
    await Promise.all(apps.map((a) => a.kill()));
    await registry?.close();
    await consul?.stop();
  });

  it('registers it with endpoints from Go reflection, a keel client calls it by name, and the registry follows its health and its death', async (t) => {
    if (!binary) return t.skip('KEEL_SKIP_E2E=1 and the Go peers could not be built');
    const app = await startGoApp(binary);
    apps.push(app);
    const s = await startSidecar({ name: 'legacy-go', app: app.address, registry, ...TIMING });
    sidecars.push(s);
    assert.deepEqual(s.lastCheck, { passed: true, via: 'health', detail: 'SERVING' });
    assert.deepEqual(await ids(), [s.id]);
    // Reflection describes the service of the .proto (test/interop/basis), Stream included, whatever the app implements.
    assert.deepEqual(s.node.endpoints?.map((e) => e.name), ['Basis.Chat', 'Basis.Collect', 'Basis.Hello', 'Basis.Stream']);
    const endpoint = (name: string) => s.node.endpoints?.find((e) => e.name === name);
    assert.deepEqual(endpoint('Basis.Stream')?.metadata, { stream: 'true' });
    assert.deepEqual(endpoint('Basis.Hello')?.request, { name: 'Request', type: 'Request', values: [{ name: 'name', type: 'string', values: null }] });

    // The gateway the sidecar serves for it (`--address`): HTTP in, the app's reflection, the app's reply out.
    const gateway = createGateway({ registry });
    try {
      const bound = await gateway.listen('127.0.0.1:0');
      const res = await fetch(`http://${bound}/rpc`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ service: 'legacy-go', endpoint: 'Basis.Hello', request: { name: 'Jane' } }),
      });
      assert.equal(res.status, 200);
      assert.deepEqual(await res.json(), { msg: `Hello Jane from plain-grpc (${app.address})` });
    } finally {
      await gateway.close();
    }

    const client = createClient(Basis, 'legacy-go', { registry });
    try {
      assert.deepEqual(await client.hello({ name: 'John' }), { msg: `Hello John from plain-grpc (${app.address})` });
    } finally {
      closeClient(client);
    }

    await app.setStatus('NOT_SERVING');
    const t0 = Date.now();
    await eventually(async () => (await ids()).length === 0, 'NOT_SERVING: the node leaves', BOUND_MS + SLACK_MS);
    const left = Date.now() - t0;
    await app.setStatus('SERVING');
    const t1 = Date.now();
    await eventually(async () => (await ids()).join() === s.id, 'SERVING: the node returns', BOUND_MS + SLACK_MS);
    const back = Date.now() - t1;

    await app.kill();
    const t2 = Date.now();
    await eventually(async () => (await ids()).length === 0, 'killed: the node leaves', BOUND_MS + SLACK_MS);
    const killed = Date.now() - t2;
    t.diagnostic(`Go app on Consul: left ${left} ms after NOT_SERVING, back ${back} ms after SERVING, left ${killed} ms after SIGKILL (bound ${BOUND_MS} ms)`);
    assert.match(s.lastCheck!.detail, /^UNAVAILABLE/);

    const restarted = await startGoApp(binary, { port: app.port, noHealth: true });
    apps.push(restarted);
    await eventually(async () => (await ids()).join() === s.id, 'restarted without a health service: back by TCP connect', BOUND_MS + SLACK_MS);
    assert.equal(s.lastCheck?.via, 'tcp');
    await s.stop();
    assert.deepEqual(await ids(), [], 'the sidecar stopped: deregistered');
  });

  it('a go-micro client finds the app by name, with go-micro\'s endpoint and protocol filters, and reads its endpoints', async (t) => {
    if (!binary || !peers) return t.skip('KEEL_SKIP_E2E=1 and the Go peers could not be built');
    const app = await startGoApp(binary);
    apps.push(app);
    // Registered as `basis`: go-micro calls /<registry name>.Basis/Hello, which is the app's own path only under that name.
    const s = await startSidecar({ name: 'basis', app: app.address, registry, ...TIMING });
    sidecars.push(s);
    const call = await runGoMicroClient(peers.client, consul.address,
      ['--service', 'basis', '--count', '2', '--request_name', 'go-micro', '--filter_endpoint', 'Basis.Hello', '--filter_protocol']);
    assert.equal(call.code, 0, call.stderr);
    assert.deepEqual(call.stdout, [`Hello go-micro from plain-grpc (${app.address})`, `Hello go-micro from plain-grpc (${app.address})`]);
    const described = await runGoMicroClient(peers.client, consul.address, ['--service', 'basis', '--describe']);
    assert.equal(described.code, 0, described.stderr);
    const text = described.stdout.join('\n');
    assert.match(text, /"Basis\.Hello"/);
    assert.match(text, new RegExp(s.id));
    await s.stop();
  });
});
