import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Client as GrpcClient, credentials, status } from '@grpc/grpc-js';
import { createClient, createServer, isKeelError, memoryRegistry, type Registry } from '../../src/index';
import { Basis, eventually, startBasis } from '../support/basis';

describe('createServer', () => {
  it('registers a node on start and deregisters it on stop', async () => {
    const registry = memoryRegistry();
    const s = await startBasis(registry, { version: '1.2.3', metadata: { zone: 'eu', server: 'keel' } });
    assert.match(s.id, /^basis-[0-9a-f-]{36}$/);
    assert.match(s.address, /^127\.0\.0\.1:\d+$/);
    assert.deepEqual(await registry.getService('basis'), [
      // go-micro's standard keys, under the user's (`server` overridden here).
      { id: s.id, name: 'basis', version: '1.2.3', address: s.address,
        metadata: { broker: 'none', protocol: 'grpc', registry: 'memory', server: 'keel', transport: 'grpc', zone: 'eu' } },
    ]);
    await s.server.stop();
    assert.deepEqual(await registry.getService('basis'), []);
  });

  it('refreshes its registration before the TTL runs out', async () => {
    const registry = memoryRegistry();
    const s = await startBasis(registry, { registerTtlMs: 300, registerIntervalMs: 100 });
    await new Promise((r) => setTimeout(r, 900));
    assert.equal((await registry.getService('basis')).length, 1, 'the node expired although the server runs');
    await s.server.stop();
  });

  it('lets in-flight calls finish on stop, deregistering first', async () => {
    const registry = memoryRegistry();
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let entered!: () => void;
    const inHandler = new Promise<void>((r) => (entered = r));
    const s = await startBasis(registry, {
      hello: async ({ name }) => {
        entered();
        await gate;
        return { msg: `done ${name}` };
      },
    });
    const basis = createClient(Basis, 'basis', { registry });
    const inflight = basis.hello({ name: 'slow' });
    await inHandler;
    const stopped = s.server.stop();
    await eventually(async () => (await registry.getService('basis')).length === 0, 'deregistration before the call ends');
    let stopDone = false;
    void stopped.then(() => (stopDone = true));
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(stopDone, false, 'stop() returned while a call was in flight');
    release();
    assert.equal((await inflight).msg, 'done slow');
    await stopped;
    basis.close();
  });

  it('cancels calls still running after graceMs, aborting their signal', async () => {
    const registry = memoryRegistry();
    let aborted = false;
    const s = await startBasis(registry, {
      graceMs: 200,
      hello: (_req, ctx) => new Promise((resolve) => ctx.signal.addEventListener('abort', () => {
        aborted = true;
        resolve({ msg: 'x' });
      })),
    });
    const basis = createClient(Basis, 'basis', { registry });
    const call = basis.hello({ name: 'stuck' }).catch((err: { code: number }) => err);
    await eventually(() => s.seen.length === 1, 'the call to arrive');
    const t0 = Date.now();
    await s.server.stop();
    assert.ok(Date.now() - t0 < 2000);
    const result = await call;
    // grpc-js resets the stream with CANCEL on a forced shutdown; the caller sees CANCELLED (not keel's `cancelled`).
    assert.equal((result as { code: number }).code, status.CANCELLED);
    assert.equal(isKeelError(result), false);
    await eventually(() => aborted, 'the handler signal to abort');
    basis.close();
  });

  it('accepts lowerCamel implementation names and answers UNIMPLEMENTED for missing methods', async () => {
    const registry = memoryRegistry();
    const server = createServer({ name: 'camel', registry, drainDelayMs: 0 });
    server.addService(Basis, { hello: ({ name }: { name: string }) => ({ msg: `hi ${name}` }) });
    await server.start();
    const client = createClient(Basis, 'camel', { registry });
    assert.equal((await client.hello({ name: 'c' })).msg, 'hi c');
    client.close();
    await server.stop();

    const empty = createServer({ name: 'empty', registry, drainDelayMs: 0 });
    empty.addService(Basis, {});
    await empty.start();
    const c2 = createClient(Basis, 'empty', { registry });
    await assert.rejects(c2.hello({ name: 'x' }), { code: status.UNIMPLEMENTED });
    c2.close();
    await empty.stop();
  });

  it('rejects bad implementations at addService', () => {
    const server = createServer({ name: 'bad', registry: memoryRegistry() });
    // @ts-expect-error: a typed definition refuses an unknown name at compile time too
    assert.throws(() => server.addService(Basis, { Helo: () => ({}) }), { name: 'TypeError', message: /"Helo" is not a method/ });
    assert.throws(() => server.addService(Basis, { Hello: 'x' as never }), { name: 'TypeError', message: /Hello must be a function/ });
    assert.throws(() => server.addService({} as never, {}), { name: 'TypeError', message: /ServiceDefinition/ });
  });

  it('fails start when the first registration fails, and frees the port', async () => {
    const broken: Registry = { ...memoryRegistry(), kind: 'broken', register: () => Promise.reject(new Error('no store')) };
    const server = createServer({ name: 'basis', registry: broken });
    server.addService(Basis, {});
    await assert.rejects(server.start(), /registering basis-.* in the broken registry failed: no store/);
    await server.stop();
  });

  it('reports refresh failures through onError and keeps serving', async () => {
    const inner = memoryRegistry();
    let calls = 0;
    const flaky: Registry = { ...inner, register: (n, o) => (++calls > 1 ? Promise.reject(new Error('flap')) : inner.register(n, o)) };
    const errors: Error[] = [];
    const s = await startBasis(flaky, { registerTtlMs: 5000, registerIntervalMs: 50, onError: (e) => errors.push(e) });
    await eventually(() => errors.length >= 2, 'refresh errors to be reported');
    assert.match(errors[0]?.message ?? '', /refreshing basis-.* failed: flap/);
    await s.server.stop();
  });

  it('binds the address from MICRO_SERVER_ADDRESS', async () => {
    const saved = process.env.MICRO_SERVER_ADDRESS;
    process.env.MICRO_SERVER_ADDRESS = '127.0.0.1:0';
    try {
      const server = createServer({ name: 'env', registry: memoryRegistry(), drainDelayMs: 0 });
      server.addService(Basis, {});
      assert.match((await server.start()).address, /^127\.0\.0\.1:\d+$/);
      await server.stop();
      process.env.MICRO_SERVER_ADDRESS = 'not an address';
      assert.throws(() => createServer({ name: 'env', registry: memoryRegistry() }), { name: 'RangeError', message: /address/ });
    } finally {
      if (saved === undefined) delete process.env.MICRO_SERVER_ADDRESS;
      else process.env.MICRO_SERVER_ADDRESS = saved;
    }
  });

  it('answers go-micro clients at /<registry name>.<Service>/<Method> too', async () => {
    const registry = memoryRegistry();
    const server = createServer({ name: 'greeter', registry, drainDelayMs: 0 });
    server.addService(Basis, { Hello: ({ name }: { name: string }) => ({ msg: `hi ${name}` }) });
    const { address } = await server.start();
    const raw = new GrpcClient(address, credentials.createInsecure());
    const hello = Basis.service.Hello;
    const call = (path: string): Promise<{ msg: string }> => new Promise((resolve, reject) =>
      raw.makeUnaryRequest(path, hello.requestSerialize, hello.responseDeserialize, { name: path }, (err, res) => (err ? reject(err) : resolve(res as { msg: string }))));
    assert.equal((await call('/basis.Basis/Hello')).msg, 'hi /basis.Basis/Hello');
    assert.equal((await call('/greeter.Basis/Hello')).msg, 'hi /greeter.Basis/Hello');
    await assert.rejects(call('/other.Basis/Hello'), { code: status.UNIMPLEMENTED });
    raw.close();
    await server.stop();
  });

  it('rejects bad options at construction, naming them', () => {
    const registry = memoryRegistry();
    assert.throws(() => createServer({} as never), { name: 'TypeError', message: /name/ });
    assert.throws(() => createServer({ name: '' }), { name: 'TypeError', message: /name/ });
    assert.throws(() => createServer({ name: 'x', registry, address: 'localhost' }), { name: 'RangeError', message: /address/ });
    assert.throws(() => createServer({ name: 'x', registry, address: '127.0.0.1:70000' }), { name: 'RangeError', message: /address/ });
    assert.throws(() => createServer({ name: 'x', registry, registerTtlMs: -1 }), { name: 'RangeError', message: /registerTtlMs/ });
    assert.throws(() => createServer({ name: 'x', registry, registerTtlMs: 1000, registerIntervalMs: 1000 }), { name: 'RangeError', message: /registerIntervalMs/ });
    assert.throws(() => createServer({ name: 'x', registry, metadata: { a: 1 } as never }), { name: 'TypeError', message: /metadata\.a/ });
    assert.throws(() => createServer({ name: 'x', registry, graceMs: 0 }), { name: 'RangeError', message: /graceMs/ });
    assert.throws(() => createServer({ name: 'x', registry, ttl: 1 } as never), { name: 'TypeError', message: /unknown option "ttl"/ });
  });
});
