import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { loadPackageDefinition, Metadata, status, type GrpcObject, type ServiceClientConstructor } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { join } from 'node:path';
import { closeClient, createClient, isKeelError, KeelError, memoryRegistry, type Registry, type ServiceNode } from '../../src/index';
import { Basis, eventually, replier, startBasis, type TestServer } from '../support/basis';

const servers: TestServer[] = [];
const start = async (registry: Registry, options: Parameters<typeof startBasis>[1] = {}): Promise<TestServer> => {
  const s = await startBasis(registry, options);
  servers.push(s);
  return s;
};
after(async () => {
  await Promise.all(servers.map((s) => s.server.stop()));
});

describe('createClient against real servers', () => {
  it('calls a registered server under both method names', async () => {
    const registry = memoryRegistry();
    const s = await start(registry);
    const basis = createClient(Basis, 'basis', { registry });
    assert.equal((await basis.hello({ name: 'John' })).msg, `Hello John from ${s.id}`);
    assert.equal((await basis.Hello({ name: 'Ann' })).msg, `Hello Ann from ${s.id}`);
    basis.close();
  });

  it('fails at once with UNAVAILABLE / no_nodes when nothing is registered', async () => {
    const basis = createClient(Basis, 'basis', { registry: memoryRegistry() });
    const t0 = Date.now();
    await assert.rejects(basis.hello({ name: 'x' }), (err: unknown) => {
      assert.ok(isKeelError(err, 'no_nodes'), String(err));
      assert.equal(err.code, status.UNAVAILABLE);
      assert.match(err.message, /basis/);
      return true;
    });
    assert.ok(Date.now() - t0 < 1000);
    basis.close();
  });

  it('maps a handler error with a code to that status, details and metadata', async () => {
    const registry = memoryRegistry();
    await start(registry, {
      hello: () => {
        const metadata = new Metadata();
        metadata.set('why', 'bad name');
        throw Object.assign(new Error('name is required'), { code: status.INVALID_ARGUMENT, metadata });
      },
    });
    const basis = createClient(Basis, 'basis', { registry });
    await assert.rejects(basis.hello({ name: '' }), (err: KeelError) => {
      assert.equal(err.code, status.INVALID_ARGUMENT);
      assert.equal(err.details, 'name is required');
      assert.deepEqual(err.metadata.get('why'), ['bad name']);
      assert.equal(isKeelError(err), false, 'a handler error is not a keel error');
      return true;
    });
    basis.close();
  });

  it('maps any other throw to UNKNOWN; its message reaches the caller only with exposeErrors', async () => {
    const registry = memoryRegistry();
    await start(registry, { logger: false, hello: () => Promise.reject(new TypeError('boom')) });
    const basis = createClient(Basis, 'basis', { registry });
    await assert.rejects(basis.hello({ name: 'a' }), { code: status.UNKNOWN, details: /^internal error in \/basis\.Basis\/Hello \(error id [0-9a-f]{8}; the server logged it\)$/ });
    basis.close();

    const exposing = memoryRegistry();
    await start(exposing, { logger: false, exposeErrors: true, hello: () => Promise.reject(new TypeError('boom')) });
    const open = createClient(Basis, 'basis', { registry: exposing });
    await assert.rejects(open.hello({ name: 'a' }), { code: status.UNKNOWN, details: 'boom' });
    open.close();
  });

  it('carries a keel reason from the server (keel-reason trailer)', async () => {
    const registry = memoryRegistry();
    await start(registry, { hello: () => { throw new KeelError(status.RESOURCE_EXHAUSTED, 'rate_limited', 'slow down'); } });
    const basis = createClient(Basis, 'basis', { registry });
    await assert.rejects(basis.hello({ name: 'a' }), (err: unknown) => isKeelError(err, 'rate_limited') && err.code === status.RESOURCE_EXHAUSTED);
    basis.close();
  });

  it('sends the deadline to the server and fails with DEADLINE_EXCEEDED / deadline', async () => {
    const registry = memoryRegistry();
    const s = await start(registry, { hello: (_req, ctx) => new Promise((r) => setTimeout(() => r({ msg: 'late' }), 2000).unref()) });
    const basis = createClient(Basis, 'basis', { registry });
    const before = Date.now();
    await assert.rejects(basis.hello({ name: 'a' }, { timeoutMs: 300 }), (err: unknown) => {
      assert.ok(isKeelError(err, 'deadline'), String(err));
      assert.equal(err.code, status.DEADLINE_EXCEEDED);
      return true;
    });
    const took = Date.now() - before;
    assert.ok(took >= 250 && took < 1500, `took ${took} ms`);
    const deadline = s.seen[0]?.ctx.deadline;
    assert.ok(deadline !== undefined, 'the server saw no deadline');
    assert.ok(Math.abs(deadline - (before + 300)) < 200, `server deadline off by ${deadline - (before + 300)} ms`);
    basis.close();
  });

  it('applies the client default timeout, and none with Infinity', async () => {
    const registry = memoryRegistry();
    const s = await start(registry);
    const timed = createClient(Basis, 'basis', { registry, timeoutMs: 4000 });
    const before = Date.now();
    await timed.hello({ name: 'a' });
    assert.ok(Math.abs((s.seen[0]?.ctx.deadline ?? 0) - (before + 4000)) < 200);
    const untimed = createClient(Basis, 'basis', { registry, timeoutMs: Infinity });
    await untimed.hello({ name: 'b' });
    assert.equal(s.seen[1]?.ctx.deadline, undefined);
    timed.close();
    untimed.close();
  });

  it('fails at once when the deadline has already passed', async () => {
    const registry = memoryRegistry();
    const s = await start(registry);
    const basis = createClient(Basis, 'basis', { registry });
    await assert.rejects(basis.hello({ name: 'a' }, { deadline: Date.now() - 1 }), (err: unknown) => isKeelError(err, 'deadline'));
    assert.equal(s.seen.length, 0, 'nothing was sent');
    basis.close();
  });

  it('cancels the RPC when the signal aborts, and the handler sees its signal abort', async () => {
    const registry = memoryRegistry();
    let handlerAborted!: () => void;
    const aborted = new Promise<void>((r) => (handlerAborted = r));
    await start(registry, {
      hello: (_req, ctx) => new Promise((_resolve, reject) => {
        ctx.signal.addEventListener('abort', () => {
          handlerAborted();
          reject(new Error('stopped'));
        });
      }),
    });
    const basis = createClient(Basis, 'basis', { registry });
    const controller = new AbortController();
    const call = basis.hello({ name: 'a' }, { signal: controller.signal });
    await new Promise((r) => setTimeout(r, 100));
    controller.abort();
    await assert.rejects(call, (err: unknown) => isKeelError(err, 'cancelled') && err.code === status.CANCELLED);
    await Promise.race([aborted, new Promise((_, rej) => setTimeout(() => rej(new Error('the handler signal never aborted')), 3000))]);
    basis.close();
  });

  it('sends metadata, from an object or a Metadata, without changing the caller\'s', async () => {
    const registry = memoryRegistry();
    const s = await start(registry);
    const basis = createClient(Basis, 'basis', { registry });
    await basis.hello({ name: 'a' }, { metadata: { 'x-user': 'ann' } });
    const md = new Metadata();
    md.set('x-user', 'bob');
    await basis.hello({ name: 'b' }, { metadata: md });
    assert.deepEqual(s.seen.map((x) => x.ctx.metadata.get('x-user')[0]), ['ann', 'bob']);
    assert.deepEqual(Object.keys(md.getMap()), ['x-user'], 'the caller\'s metadata was modified');
    basis.close();
  });

  it('follows the registry: a node that joins gets calls, a node that leaves gets none', async () => {
    const registry = memoryRegistry();
    const a = await start(registry);
    const basis = createClient(Basis, 'basis', { registry });
    await basis.hello({ name: 'warm' });
    const b = await start(registry);
    await eventually(async () => replier((await basis.hello({ name: 'x' })).msg) === b.id, 'a call to reach the new node');
    await a.server.stop();
    for (let i = 0; i < 20; i++) assert.equal(replier((await basis.hello({ name: 'y' })).msg), b.id);
    basis.close();
  });

  it('keeps serving the last known nodes while the registry fails', async () => {
    const inner = memoryRegistry();
    let failing = false;
    const flaky: Registry = {
      ...inner,
      kind: 'flaky',
      getService: (name) => (failing ? Promise.reject(new Error('registry down')) : inner.getService(name)),
      watch: (name, onChange) => inner.watch(name, (nodes) => !failing && onChange(nodes)),
    };
    const s = await start(inner);
    const basis = createClient(Basis, 'basis', { registry: flaky });
    await basis.hello({ name: 'a' });
    failing = true;
    await inner.deregister(s.server.node as ServiceNode); // the registry "loses" the node while it is down
    for (let i = 0; i < 5; i++) assert.match((await basis.hello({ name: 'b' })).msg, new RegExp(s.id));
    basis.close();
    const cold = createClient(Basis, 'basis', { registry: flaky });
    await assert.rejects(cold.hello({ name: 'c' }), (err: unknown) => isKeelError(err, 'no_nodes') && /registry down/.test(err.message));
    cold.close();
  });

  it('spreads calls over several nodes by default (random)', async () => {
    const registry = memoryRegistry();
    const nodes = await Promise.all([start(registry), start(registry), start(registry)]);
    const basis = createClient(Basis, 'basis', { registry });
    const hits = new Map<string, number>();
    for (let i = 0; i < 60; i++) {
      const id = replier((await basis.hello({ name: 'r' })).msg);
      hits.set(id, (hits.get(id) ?? 0) + 1);
    }
    assert.deepEqual([...hits.keys()].sort(), nodes.map((n) => n.id).sort());
    basis.close();
  });

  it('rejects bad construction options at once, naming them', () => {
    const registry = memoryRegistry();
    assert.throws(() => createClient(Basis, '', { registry }), { name: 'TypeError', message: /serviceName/ });
    assert.throws(() => createClient({} as never, 'basis', { registry }), { name: 'TypeError', message: /ServiceDefinition/ });
    assert.throws(() => createClient(Basis, 'basis', { registry, timeoutMs: -1 }), { name: 'RangeError', message: /timeoutMs/ });
    assert.throws(() => createClient(Basis, 'basis', { registry, timeoutMs: 'x' as never }), { name: 'TypeError', message: /timeoutMs/ });
    assert.throws(() => createClient(Basis, 'basis', { registry, wrap: {} as never }), { name: 'TypeError', message: /wrap/ });
    assert.throws(() => createClient(Basis, 'basis', { registry, timeout: 5 } as never), { name: 'TypeError', message: /unknown option "timeout"/ });
  });

  it('rejects bad per-call options with INVALID_ARGUMENT / bad_option, naming them', async () => {
    const registry = memoryRegistry();
    const s = await start(registry);
    const basis = createClient(Basis, 'basis', { registry });
    await assert.rejects(basis.hello({ name: 'a' }, { timeoutMs: -5 }), (err: unknown) =>
      isKeelError(err, 'bad_option') && err.code === status.INVALID_ARGUMENT && /timeoutMs/.test(err.message));
    await assert.rejects(basis.hello({ name: 'a' }, { metadata: { n: 1 as unknown as string } }), /metadata\.n/);
    assert.equal(s.seen.length, 0);
    basis.close();
  });

  it('keeps an RPC named Close callable; closeClient closes it, and later calls fail with `closed`', async () => {
    const pkg = loadPackageDefinition(loadSync(join(__dirname, '..', 'fixtures', 'extra.proto'))).extra as GrpcObject;
    const Extra = pkg.Extra as ServiceClientConstructor;
    const registry = memoryRegistry();
    const extra = createClient(Extra, 'extra', { registry }) as Record<string, (req: unknown) => Promise<unknown>>;
    assert.equal(typeof extra.close, 'function');
    const watch = (extra.watch as unknown as (req: unknown) => AsyncIterable<unknown>)({});
    assert.equal(typeof watch[Symbol.asyncIterator], 'function', 'a server-streaming method returns an AsyncIterable');
    await assert.rejects((extra.close as (req: unknown) => Promise<unknown>)({}), (err: unknown) => isKeelError(err, 'no_nodes'), 'close is the RPC');
    closeClient(extra);
    await assert.rejects((extra.close as (req: unknown) => Promise<unknown>)({}),
      (err: unknown) => isKeelError(err, 'closed') && err.code === status.FAILED_PRECONDITION && /closed/.test(err.message));
  });
});
