import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';
import { closeClient, consulRegistry, createClient, localRegistry, type Registry } from '../../../src/index';
import { advertiseHost } from '../../../src/server/advertise';
import { startSidecar, type Sidecar, type SidecarEvent, type SidecarOptions } from '../../../src/toolkit/sidecar/index';
import { Basis, eventually } from '../../support/basis';
import { startConsul, type ConsulAgent } from '../../support/consul-agent';
import { toolOrSkip } from '../../support/external';
import { startPlainApp, type PlainApp } from './plain-app';

// Short timings so the bounds are quick to see: a change is acted on within failAfter (or recoverAfter)
// × (intervalMs + checkTimeoutMs) + checkTimeoutMs = 1700 ms. SLACK_MS covers the registry telling the test.
const TIMING = { intervalMs: 100, checkTimeoutMs: 500, failAfter: 2, recoverAfter: 2, registerTtlMs: 3000, registerIntervalMs: 1000 };
// The documented bound: the check in flight when the app changed, then failAfter (= recoverAfter) more.
const BOUND_MS = TIMING.failAfter * (TIMING.intervalMs + TIMING.checkTimeoutMs) + TIMING.checkTimeoutMs;
const SLACK_MS = 1000;
const consulBinary = toolOrSkip('consul', 'sidecar on Consul');

const ids = async (registry: Registry, name = 'legacy'): Promise<string[]> => (await registry.getService(name)).map((n) => n.id);

/** Resolves to how long `check` took to become true; fails past `boundMs`. */
async function within(boundMs: number, check: () => Promise<boolean>, what: string): Promise<number> {
  const t0 = Date.now();
  await eventually(check, what, boundMs);
  return Date.now() - t0;
}

for (const kind of ['local', 'consul'] as const) {
  describe(`keel sidecar on the ${kind} registry: a plain grpc-js app (no keel code)`, { skip: kind === 'consul' && consulBinary === undefined && 'consul missing (KEEL_SKIP_E2E=1)' }, () => {
    let registry: Registry;
    let consul: ConsulAgent | undefined;
    let dir: string | undefined;
    const apps: PlainApp[] = [];
    const sidecars: Sidecar[] = [];
    const events: SidecarEvent[] = [];
    const sidecar = async (app: PlainApp, options: Partial<SidecarOptions> = {}): Promise<Sidecar> => {
      const s = await startSidecar({ name: 'legacy', app: app.address, registry, ...TIMING, onEvent: (e) => events.push(e), ...options });
      sidecars.push(s);
      return s;
    };
    const app = async (options: Parameters<typeof startPlainApp>[0]): Promise<PlainApp> => {
      const a = await startPlainApp(options);
      apps.push(a);
      return a;
    };

    before(async () => {
      if (kind === 'consul') {
        consul = await startConsul(consulBinary as string);
        registry = consulRegistry({ address: consul.address, waitMs: 5000 });
      } else {
        dir = mkdtempSync(join(tmpdir(), 'keel-sidecar-'));
        registry = localRegistry({ dir });
      }
    });
    afterEach(async () => {
      await Promise.all(sidecars.splice(0).map((s) => s.stop()));
      for (const a of apps.splice(0)) a.kill();
      events.length = 0;
    });
    after(async () => {
      await registry.close();
      await consul?.stop();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    it('registers the app under its name with a keel node id, go-micro metadata and endpoints from reflection; a keel client calls it by name', async () => {
      const a = await app({ health: true, reflection: true });
      const s = await sidecar(a, { metadata: { team: 'legacy' } });
      assert.match(s.id, /^legacy-[0-9a-f-]{36}$/);
      assert.equal(s.registered, true);
      assert.deepEqual(s.lastCheck, { passed: true, via: 'health', detail: 'SERVING' });
      const [node, ...more] = await registry.getService('legacy');
      assert.equal(more.length, 0);
      assert.equal(node!.id, s.id);
      assert.equal(node!.address, a.address);
      assert.equal(node!.metadata.protocol, 'grpc');
      assert.equal(node!.metadata.registry, kind);
      assert.equal(node!.metadata.team, 'legacy');
      const client = createClient(Basis, 'legacy', { registry });
      try {
        assert.deepEqual(await client.hello({ name: 'John' }), { msg: 'Hello John from the plain app' });
      } finally {
        closeClient(client);
      }
      // Endpoints are what a keel server serving the same .proto registers (the local registry keeps them; Consul as e- tags).
      assert.deepEqual(s.node.endpoints, [{
        name: 'Basis.Hello',
        request: { name: 'Request', type: 'Request', values: [{ name: 'name', type: 'string', values: null }] },
        response: { name: 'Response', type: 'Response', values: [{ name: 'msg', type: 'string', values: null }] },
        metadata: {},
      }]);
    });

    it('deregisters the app within the bound when its health turns NOT_SERVING, and registers it again when it serves', async (t) => {
      const a = await app({ health: true });
      const s = await sidecar(a);
      assert.deepEqual(await ids(registry), [s.id]);
      a.setStatus('NOT_SERVING');
      const left = await within(BOUND_MS + SLACK_MS, async () => (await ids(registry)).length === 0, 'the node leaves');
      a.setStatus('SERVING');
      const back = await within(BOUND_MS + SLACK_MS, async () => (await ids(registry)).join() === s.id, 'the node returns');
      // failAfter 2: one failed check is not enough, so the node stays for at least one more interval.
      assert.ok(left >= TIMING.intervalMs, `left after ${left} ms: before a second failed check`);
      t.diagnostic(`${kind}: left ${left} ms after NOT_SERVING, back ${back} ms after SERVING (bound ${BOUND_MS} ms + registry)`);
      // The registry may list the node before the registry's answer reaches the sidecar (and the event is emitted).
      const changes = (): string => events.filter((e) => e.type !== 'check').map((e) => e.type).join();
      await eventually(() => changes() === 'registered,deregistered,registered', 'the events: registered, deregistered, registered', 1000);
      const gone = events.find((e) => e.type === 'deregistered');
      assert.equal(gone?.type === 'deregistered' && gone.why, 'NOT_SERVING');
      assert.equal(s.node.endpoints?.length, 0, 'no reflection: registered without endpoints');
    });

    it('takes go-micro\'s ":port" for an app bound to all interfaces: checked on loopback, registered with this host\'s address', async () => {
      const a = await app({ health: true });
      const s = await sidecar(a, { app: `:${a.port}` });
      assert.equal(s.registered, true);
      assert.equal(s.node.address, `${advertiseHost('0.0.0.0')}:${a.port}`);
    });

    it('checks the named health service (--health_service) and fails on one the app does not know', async () => {
      const a = await app({ health: true });
      const known = await sidecar(a, { healthService: 'basis.Basis' });
      assert.equal(known.registered, true);
      const unknown = await sidecar(a, { healthService: 'no.Such', name: 'other' });
      assert.equal(unknown.registered, false);
      assert.match(unknown.lastCheck!.detail, /^NOT_FOUND/);
      assert.deepEqual(await ids(registry, 'other'), []);
    });

    it('checks an app without a health service by TCP connect: registered while it listens, gone when it is killed, back when it restarts', async (t) => {
      const a = await app({});
      const s = await sidecar(a);
      assert.equal(s.registered, true);
      assert.equal(s.lastCheck?.via, 'tcp');
      a.kill();
      const left = await within(BOUND_MS + SLACK_MS, async () => (await ids(registry)).length === 0, 'the killed app leaves');
      await app({ port: a.port });
      const back = await within(BOUND_MS + SLACK_MS, async () => (await ids(registry)).join() === s.id, 'the restarted app returns');
      t.diagnostic(`${kind}: killed app left in ${left} ms, restarted app back in ${back} ms`);
    });

    it('waits for an app that is not up yet, and deregisters it when the sidecar stops (or its signal aborts)', async () => {
      const placeholder = await startPlainApp({});
      placeholder.kill(); // a port with nothing on it
      const s = await sidecar(placeholder);
      assert.equal(s.registered, false);
      assert.match(s.lastCheck!.detail, /^UNAVAILABLE/);
      await app({ health: true, port: placeholder.port });
      await eventually(async () => (await ids(registry)).join() === s.id, 'the app is registered once it answers', BOUND_MS + SLACK_MS);
      await s.stop();
      assert.deepEqual(await ids(registry), [], 'deregistered when stop() resolves');

      const abort = new AbortController();
      const b = await sidecar(await app({ health: true }), { signal: abort.signal, name: 'aborted' });
      assert.deepEqual(await ids(registry, 'aborted'), [b.id]);
      abort.abort();
      await eventually(async () => (await ids(registry, 'aborted')).length === 0, 'deregistered on abort', 2000);
      assert.equal(b.registered, false);
    });
  });
}

describe('keel sidecar: the gateway hook', () => {
  it('builds the gateway for its app with the registry and name, listens on address, and closes it on stop', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'keel-sidecar-gw-'));
    const registry = localRegistry({ dir });
    const app = await startPlainApp({ health: true });
    const calls: string[] = [];
    try {
      const s = await startSidecar({
        name: 'legacy', app: app.address, registry, ...TIMING, address: '127.0.0.1:0',
        gateway: (context) => {
          calls.push(`create ${context.service} ${context.registry === registry}`);
          return { listen: async (address) => calls.push(`listen ${address}`), close: async () => void calls.push('close') };
        },
      });
      assert.deepEqual(calls, ['create legacy true', 'listen 127.0.0.1:0']);
      await s.stop();
      assert.deepEqual(calls.at(-1), 'close');

      await assert.rejects(startSidecar({
        name: 'legacy', app: app.address, registry, ...TIMING, address: '127.0.0.1:0',
        gateway: () => ({ listen: async () => { throw new Error('EADDRINUSE'); }, close: async () => undefined }),
      }), /serving the gateway on 127\.0\.0\.1:0 failed: EADDRINUSE/);
      assert.deepEqual(await ids(registry), [], 'a sidecar whose gateway failed leaves nothing registered');
    } finally {
      app.kill();
      await registry.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
