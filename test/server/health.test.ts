import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, describe, it } from 'node:test';
import { loadPackageDefinition, credentials, status, type GrpcObject, type ServiceClientConstructor } from '@grpc/grpc-js';
import { createClient, createServer, memoryRegistry, type Registry } from '../../src/index';
import { healthPackage } from '../../src/server/health-proto';
import { Basis, eventually, startBasis, type TestServer } from '../support/basis';
import { toolOrSkip } from '../support/external';

const probe = toolOrSkip('grpc-health-probe', 'gRPC health');
const Health = ((loadPackageDefinition(healthPackage).grpc as GrpcObject).health as GrpcObject).v1 as GrpcObject;
const HealthClient = Health.Health as ServiceClientConstructor;

/** Runs the real grpc-health-probe; resolves to its exit code and output. */
function runProbe(address: string, ...args: string[]): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile(probe as string, ['-addr', address, '-connect-timeout', '3s', '-rpc-timeout', '3s', ...args], (err, stdout, stderr) =>
      resolve({ code: err ? Number((err as { code?: unknown }).code ?? -1) : 0, out: `${stdout}${stderr}` }));
  });
}

const servers: TestServer[] = [];
const start = async (registry: Registry, options: Parameters<typeof startBasis>[1] = {}): Promise<TestServer> => {
  const s = await startBasis(registry, { logger: false, ...options });
  servers.push(s);
  return s;
};
after(async () => {
  await Promise.all(servers.map((s) => s.server.stop()));
});

describe('grpc.health.v1 on every keel server', { skip: probe === undefined }, () => {
  it('answers grpc-health-probe with no extra code: exit 0 when SERVING, 4 when NOT_SERVING', async () => {
    const s = await start(memoryRegistry());
    assert.deepEqual(await runProbe(s.address), { code: 0, out: 'status: SERVING\n' });
    assert.equal((await runProbe(s.address, '-service', 'basis.Basis')).code, 0);

    s.server.setStatus('basis.Basis', 'NOT_SERVING');
    const down = await runProbe(s.address, '-service', 'basis.Basis');
    assert.equal(down.code, 4, down.out);
    assert.match(down.out, /NOT_SERVING/);
    assert.equal((await runProbe(s.address)).code, 0, 'the overall status is its own');

    s.server.setStatus('', 'NOT_SERVING');
    assert.equal((await runProbe(s.address)).code, 4);
    s.server.setStatus('', 'SERVING');
    assert.equal((await runProbe(s.address)).code, 0);

    const unknown = await runProbe(s.address, '-service', 'no.Such');
    assert.equal(unknown.code, 3, `an unknown service is an RPC failure (NOT_FOUND), not "unhealthy": ${unknown.out}`);
  });

  it('is NOT_SERVING between binding and registration, SERVING once registered; start() keeps what the application set', async () => {
    const registry = memoryRegistry();
    let releaseRegister!: () => void;
    const gate = new Promise<void>((r) => (releaseRegister = r));
    const slow: Registry = { ...registry, register: async (node, opts) => { await gate; return registry.register(node, opts); } };
    const lines: string[] = [];
    const logger = { info: (m: string) => lines.push(m), warn: (m: string) => lines.push(m), error: (m: string) => lines.push(m) };
    const pending = startBasis(slow, { logger });
    await eventually(() => lines.some((l) => / listening: /.test(l)), 'the listening log line');
    const address = /on (127\.0\.0\.1:\d+)/.exec(lines.find((l) => / listening: /.test(l)) as string)?.[1] as string;
    assert.equal((await runProbe(address)).code, 4, 'bound but not registered yet: NOT_SERVING');
    releaseRegister();
    servers.push(await pending);
    assert.equal((await runProbe(address)).code, 0);

    const own = createServer({ name: 'own', registry, logger: false, drainDelayMs: 0 });
    own.addService(Basis, { Hello: () => ({ msg: 'hi' }) });
    own.setStatus('basis.Basis', 'NOT_SERVING');
    const { address: ownAddress } = await own.start();
    try {
      assert.equal((await runProbe(ownAddress, '-service', 'basis.Basis')).code, 4, 'set before start: start() must not overrule it');
      assert.equal((await runProbe(ownAddress)).code, 0);
    } finally {
      await own.stop();
    }
  });

  it('a Watch stream sees SERVING, then NOT_SERVING as stop() begins, before deregistration; then it ends', async () => {
    const registry = memoryRegistry();
    let deregistered = false;
    // Deregistration takes a while here, so the order is visible from outside.
    const slowLeave: Registry = {
      ...registry,
      deregister: async (node) => {
        await new Promise((r) => setTimeout(r, 400));
        await registry.deregister(node);
        deregistered = true;
      },
    };
    const s = await startBasis(slowLeave, { logger: false, graceMs: 5000 });
    const health = createClient({ service: HealthClient.service }, 'basis', { registry }) as unknown as {
      Watch(request: object): AsyncIterable<{ status: string }>;
      close(): void;
    };
    const seen: { status: string; stillRegistered: boolean; deregistered: boolean }[] = [];
    const watching = (async () => {
      for await (const { status: st } of health.Watch({ service: '' })) {
        seen.push({ status: st, stillRegistered: (await registry.getService('basis')).length === 1, deregistered });
      }
    })();
    await eventually(() => seen.length === 1, 'the first Watch message');
    const t0 = Date.now();
    await s.server.stop();
    const stopMs = Date.now() - t0;
    await watching; // ends with OK: the for-await loop finishes without throwing
    health.close();
    assert.deepEqual(seen.map((x) => x.status), ['SERVING', 'NOT_SERVING']);
    assert.deepEqual(seen[1], { status: 'NOT_SERVING', stillRegistered: true, deregistered: false }, 'NOT_SERVING came before deregistration');
    assert.ok(stopMs < 2000, `an open Watch must not hold stop() up until graceMs (took ${stopMs} ms)`);
  });

  it('lists every status (List), answers Check, and reports SERVICE_UNKNOWN to a Watch of an unknown name', async () => {
    const s = await start(memoryRegistry());
    const client = new HealthClient(s.address, credentials.createInsecure()) as unknown as Record<string, Function> & { close(): void };
    const call = <T>(method: string, request: object): Promise<T> =>
      new Promise((resolve, reject) => (client[method] as Function).call(client, request, (err: Error | null, res: T) => (err ? reject(err) : resolve(res))));
    s.server.setStatus('app.Ready', 'NOT_SERVING');
    assert.deepEqual(await call('List', {}), {
      statuses: { '': { status: 'SERVING' }, 'basis.Basis': { status: 'SERVING' }, 'app.Ready': { status: 'NOT_SERVING' } },
    });
    assert.deepEqual(await call('Check', { service: 'basis.Basis' }), { status: 'SERVING' });
    await assert.rejects(call('Check', { service: 'nope' }), { code: status.NOT_FOUND });

    const stream = (client.Watch as Function).call(client, { service: 'later.Svc' });
    const statuses: string[] = [];
    stream.on('data', (m: { status: string }) => statuses.push(m.status));
    await eventually(() => statuses.length === 1, 'the first Watch message');
    s.server.setStatus('later.Svc', 'SERVING');
    s.server.setStatus('later.Svc', 'SERVING'); // unchanged: not sent again
    s.server.setStatus('later.Svc', 'NOT_SERVING');
    await eventually(() => statuses.length === 3, 'two updates');
    assert.deepEqual(statuses, ['SERVICE_UNKNOWN', 'SERVING', 'NOT_SERVING']);
    stream.on('error', () => undefined); // CANCELLED, below
    stream.cancel();
    client.close();
  });

  it('validates setStatus, and stays NOT_SERVING once stopping', async () => {
    const registry = memoryRegistry();
    const slowLeave: Registry = { ...registry, deregister: (node) => new Promise((r) => setTimeout(r, 1500)).then(() => registry.deregister(node)) };
    const s = await startBasis(slowLeave, { logger: false });
    assert.throws(() => s.server.setStatus('', 'UP' as never), { name: 'TypeError', message: /SERVING/ });
    assert.throws(() => s.server.setStatus(1 as never, 'SERVING'), { name: 'TypeError', message: /service/ });
    const stopping = s.server.stop();
    s.server.setStatus('', 'SERVING');
    const during = await runProbe(s.address); // still deregistering: the server answers
    await stopping;
    assert.equal(during.code, 4, during.out);
  });

  it('keeps an application\'s own grpc.health.v1.Health service instead of adding one', async () => {
    const server = createServer({ name: 'own-health', registry: memoryRegistry(), logger: false, drainDelayMs: 0 });
    server.addService({ service: HealthClient.service }, { Check: () => ({ status: 'NOT_SERVING' }) });
    const { address } = await server.start();
    try {
      const r = await runProbe(address);
      assert.equal(r.code, 4, `the application's Check answered: ${r.out}`);
    } finally {
      await server.stop();
    }
  });

  it('health: false serves no health service (the probe reports it as unimplemented)', async () => {
    const s = await start(memoryRegistry(), { health: false });
    const r = await runProbe(s.address);
    assert.equal(r.code, 3, r.out);
    assert.match(r.out, /does not implement the grpc health protocol/);
    await assert.rejects(startBasis(memoryRegistry(), { health: 'yes' as never }), { name: 'TypeError', message: /health/ });
  });
});
