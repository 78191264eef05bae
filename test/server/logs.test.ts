import assert from 'node:assert/strict';
import { fork } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { credentials, loadPackageDefinition, status, type GrpcObject, type ServiceClientConstructor } from '@grpc/grpc-js';
import { createClient, createServer, localRegistry, memoryRegistry, stopOnSignals, type KeelServer, type Registry } from '../../src/index';
import { healthPackage } from '../../src/server/health-proto';
import { eventually } from '../support/basis';
import { collect, Items, startItems } from '../support/items';

interface ItemsClient {
  GetItem(request: { id: number }): Promise<{ id: number; name: string }>;
  ListItems(request: { count: number; failAt?: number }): AsyncIterable<{ id: number }>;
  close(): void;
}
const itemsClient = (registry: Registry): ItemsClient => createClient(Items, 'items', { registry }) as unknown as ItemsClient;

interface Line { level: 'info' | 'warn' | 'error'; args: unknown[] }

/** A console-like logger that keeps what it was given. */
function capture(): { logger: Record<Line['level'], (...args: unknown[]) => void>; lines: Line[] } {
  const lines: Line[] = [];
  const at = (level: Line['level']) => (...args: unknown[]) => void lines.push({ level, args });
  return { logger: { info: at('info'), warn: at('warn'), error: at('error') }, lines };
}
const text = (lines: Line[], level?: Line['level']): string[] => lines.filter((l) => !level || l.level === level).map((l) => String(l.args[0]));

const servers: KeelServer[] = [];
after(async () => {
  await Promise.all(servers.map((s) => s.stop()));
});

describe('server logs', () => {
  it('logs a plain Error from a handler with the method, its message and stack; the caller gets UNKNOWN and an error id', async () => {
    const { logger, lines } = capture();
    const registry = memoryRegistry();
    const probe = await startItems(registry, { logger }, { GetItem: () => { throw new Error('db password is hunter2'); } });
    servers.push(probe.server);
    const client = itemsClient(registry);
    const err = (await client.GetItem({ id: 1 }).then(() => assert.fail('expected a failure'), (e: unknown) => e)) as { code: number; details: string };
    client.close();
    assert.equal(err.code, status.UNKNOWN);
    assert.doesNotMatch(err.details, /hunter2/, 'the message must not leak by default');
    const errorId = /error id ([0-9a-f]{8})/.exec(err.details)?.[1];
    assert.ok(errorId, err.details);
    const errors = lines.filter((l) => l.level === 'error');
    assert.equal(errors.length, 1);
    assert.match(String(errors[0]?.args[0]), new RegExp(`/items\\.Items/GetItem failed \\(UNKNOWN, error id ${errorId}\\): db password is hunter2`));
    assert.match((errors[0]?.args[1] as Error).stack as string, /at GetItem|logs\.test/, 'the error itself, with its stack');
  });

  it('logs a response that does not serialize (INTERNAL), and a plain Error thrown mid-stream', async () => {
    const { logger, lines } = capture();
    const registry = memoryRegistry();
    const probe = await startItems(registry, { logger }, {
      GetItem: () => null,
      ListItems: async function* () {
        yield { id: 1, name: 'one' };
        throw new RangeError('ran out');
      },
    });
    servers.push(probe.server);
    const client = itemsClient(registry);
    await assert.rejects(client.GetItem({ id: 1 }), { code: status.INTERNAL });
    await assert.rejects(collect(client.ListItems({ count: 2 })), { code: status.UNKNOWN });
    client.close();
    const errors = text(lines, 'error');
    assert.equal(errors.length, 2, errors.join('\n'));
    assert.match(errors[0] as string, /\/items\.Items\/GetItem returned a response that does not serialize/);
    assert.match(errors[1] as string, /\/items\.Items\/ListItems failed \(UNKNOWN, error id [0-9a-f]{8}\): ran out/);
  });

  it('logs no line for successful calls nor for errors with a gRPC code; start, registration, stop and drain once each', async () => {
    const { logger, lines } = capture();
    const registry = memoryRegistry();
    const probe = await startItems(registry, { logger });
    const client = itemsClient(registry);
    for (let i = 0; i < 5; i++) await client.GetItem({ id: i });
    await assert.rejects(collect(client.ListItems({ count: 3, failAt: 2 })), { code: status.FAILED_PRECONDITION });
    client.close();
    await probe.server.stop();
    await probe.server.stop();
    assert.deepEqual(text(lines).map((l) => /^keel: items (\w+):/.exec(l)?.[1]), ['listening', 'registered', 'stopping', 'draining', 'stopped']);
    assert.deepEqual(text(lines, 'error'), []);
  });

  it('calls a pino-like logger fields first; logger false is silent; a bad logger is refused', async () => {
    const calls: unknown[][] = [];
    const pino = { info: (...a: unknown[]) => calls.push(a), warn: (...a: unknown[]) => calls.push(a), error: (...a: unknown[]) => calls.push(a), bindings: () => ({}) };
    const registry = memoryRegistry();
    const probe = await startItems(registry, { logger: pino }, { GetItem: () => Promise.reject(new Error('nope')) });
    const client = itemsClient(registry);
    await assert.rejects(client.GetItem({ id: 1 }));
    client.close();
    await probe.server.stop();
    const failure = calls.find((c) => typeof c[1] === 'string' && /failed/.test(c[1]));
    assert.ok(failure, JSON.stringify(calls));
    assert.equal((failure[0] as { method: string }).method, '/items.Items/GetItem');
    assert.ok((failure[0] as { err: unknown }).err instanceof Error);

    assert.throws(() => createServer({ name: 'x', registry, logger: { info() {} } as never }), { name: 'TypeError', message: /logger/ });
    assert.throws(() => createServer({ name: 'x', registry, exposeErrors: 'yes' as never }), { name: 'TypeError', message: /exposeErrors/ });
  });
});

const Health = (((loadPackageDefinition(healthPackage).grpc as GrpcObject).health as GrpcObject).v1 as GrpcObject).Health as ServiceClientConstructor;

describe('stop on signals', () => {
  it('SIGTERM: NOT_SERVING first, the in-flight call finishes, deregistered, the process exits 0', { timeout: 30_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'keel-signals-'));
    try {
      const child = fork(join(__dirname, '..', 'fixtures', 'signal-server.js'), [dir], { stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
      let output = '';
      child.stdout?.on('data', (d) => (output += d));
      child.stderr?.on('data', (d) => (output += d));
      const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
      const { address } = await new Promise<{ address: string }>((resolve, reject) => {
        child.once('message', (m) => resolve(m as { address: string }));
        child.once('exit', () => reject(new Error(`the fixture exited early: ${output}`)));
      });
      const registry = localRegistry({ dir });
      await eventually(async () => (await registry.getService('items')).length === 1, 'registered');

      const health = new Health(address, credentials.createInsecure()) as unknown as { Watch(r: object): NodeJS.EventEmitter; close(): void };
      const watch = health.Watch({ service: '' });
      const statuses: string[] = [];
      watch.on('data', (m: { status: string }) => statuses.push(m.status));
      watch.on('error', () => undefined);
      await eventually(() => statuses.length === 1, 'SERVING');

      const client = itemsClient(registry);
      const inFlight = client.GetItem({ id: 99 });
      await new Promise((r) => setTimeout(r, 100));
      child.kill('SIGTERM');
      assert.deepEqual({ ...(await inFlight), payload: undefined }, { id: 99, name: 'item 99', payload: undefined }, 'the in-flight call finished');
      const code = await exited;
      client.close();
      health.close();
      await registry.close();
      assert.equal(code, 0, output);
      assert.deepEqual(statuses, ['SERVING', 'NOT_SERVING']);
      assert.match(output, /SIGTERM: stopping 1 server/);
      assert.match(output, /stopping: .* NOT_SERVING/);
      assert.deepEqual(await localRegistry({ dir }).getService('items'), [], 'deregistered');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('stopOnSignals validates its input and removes its handlers', () => {
    assert.throws(() => stopOnSignals({} as never), { name: 'TypeError' });
    assert.throws(() => stopOnSignals({ stop: async () => undefined }, { signals: ['TERM' as never] }), { name: 'TypeError', message: /signals/ });
    const before = process.listenerCount('SIGTERM');
    const remove = stopOnSignals({ stop: async () => undefined }, { exit: false, logger: false });
    assert.equal(process.listenerCount('SIGTERM'), before + 1);
    remove();
    assert.equal(process.listenerCount('SIGTERM'), before);
  });
});
