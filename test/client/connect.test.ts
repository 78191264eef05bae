import assert from 'node:assert/strict';
import { createServer as createTcpServer, type Server, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { status } from '@grpc/grpc-js';
import { createClient, memoryRegistry, type Registry } from '../../src/index';
import { collect, Items } from '../support/items';

interface ItemsClient {
  GetItem(request: { id: number }, options?: object): Promise<unknown>;
  ListItems(request: { count: number }, options?: object): AsyncIterable<unknown>;
  close(): void;
}

/**
 * A node that accepts TCP connections and never speaks HTTP/2: grpc-js stays CONNECTING, as with a
 * black-holed host, but on loopback.
 */
let tarpit: Server;
const sockets = new Set<Socket>();
let registry: Registry;
before(async () => {
  tarpit = createTcpServer((socket) => {
    sockets.add(socket);
    socket.on('data', () => undefined);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => tarpit.listen(0, '127.0.0.1', resolve));
  registry = memoryRegistry();
  const { port } = tarpit.address() as { port: number };
  await registry.register({ id: 'items-tarpit', name: 'items', version: '', address: `127.0.0.1:${port}`, metadata: {} }, { ttlMs: 60_000 });
});
after(() => {
  for (const s of sockets) s.destroy();
  tarpit.close();
});

describe('connect timeout (a node that never completes the connection)', () => {
  it('fails a stream without a deadline with UNAVAILABLE after connectTimeoutMs', async () => {
    const client = createClient(Items, 'items', { registry, connectTimeoutMs: 300 }) as unknown as ItemsClient;
    const t0 = Date.now();
    await assert.rejects(collect(client.ListItems({ count: 1 })), (err: { code: number; details: string }) => {
      assert.equal(err.code, status.UNAVAILABLE);
      assert.match(err.details, /could not connect to 127\.0\.0\.1:\d+ within connectTimeoutMs \(300 ms\)/);
      return true;
    });
    const took = Date.now() - t0;
    assert.ok(took >= 280 && took < 1500, `took ${took} ms`);
    client.close();
  });

  it('without it (Infinity) the same stream is still waiting a second later: the hang this prevents', async () => {
    const client = createClient(Items, 'items', { registry, connectTimeoutMs: Infinity }) as unknown as ItemsClient;
    const abort = new AbortController();
    const outcome = collect(client.ListItems({ count: 1 }, { signal: abort.signal })).then(() => 'done', () => 'failed');
    const early = await Promise.race([outcome, new Promise((r) => setTimeout(() => r('waiting'), 1000))]);
    abort.abort();
    assert.equal(early, 'waiting');
    assert.equal(await outcome, 'failed');
    client.close();
  });

  it('a unary call whose deadline comes first fails by its deadline (DEADLINE_EXCEEDED)', async () => {
    const client = createClient(Items, 'items', { registry, connectTimeoutMs: 5000 }) as unknown as ItemsClient;
    const t0 = Date.now();
    await assert.rejects(client.GetItem({ id: 1 }, { timeoutMs: 250 }), { code: status.DEADLINE_EXCEEDED });
    const took = Date.now() - t0;
    assert.ok(took >= 240 && took < 1500, `took ${took} ms`);
    client.close();
  });

  it('validates connectTimeoutMs', () => {
    assert.throws(() => createClient(Items, 'items', { registry, connectTimeoutMs: 0 }), { name: 'RangeError', message: /connectTimeoutMs/ });
  });
});
