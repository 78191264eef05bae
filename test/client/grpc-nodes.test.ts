import assert from 'node:assert/strict';
import { createServer as netServer } from 'node:net';
import { describe, it } from 'node:test';
import { createClient, memoryRegistry, roundRobin, wrapClient } from '../../src/index';
import { grpcNodes } from '../../src/client/grpc-nodes';
import type { ServiceNode } from '../../src/registry/registry';
import { Basis, replier, startBasis } from '../support/basis';

const node = (id: string, metadata: Record<string, string>): ServiceNode => ({ id, name: 'basis', version: '', address: '127.0.0.1:1', metadata });

describe('clients skip nodes that speak another protocol', () => {
  it('keeps nodes without protocol metadata or with protocol=grpc, drops the rest; same array when nothing is dropped', () => {
    const plain = node('a', {});
    const grpc = node('b', { protocol: 'grpc' });
    const mucp = node('c', { protocol: 'mucp' });
    const kept = [plain, grpc];
    assert.equal(grpcNodes(kept), kept);
    assert.deepEqual(grpcNodes([mucp, plain, grpc]).map((n) => n.id), ['a', 'b']);
    assert.deepEqual(grpcNodes([mucp]), []);
  });

  it('a keel client never sends to a go-micro mucp node listed beside a keel node', async () => {
    const registry = memoryRegistry();
    // A listening socket that is not gRPC: a call sent there would fail.
    const mucp = netServer((socket) => socket.destroy());
    await new Promise<void>((r) => mucp.listen(0, '127.0.0.1', r));
    const port = (mucp.address() as { port: number }).port;
    await registry.register({ id: 'basis-mucp', name: 'basis', version: 'latest', address: `127.0.0.1:${port}`, metadata: { protocol: 'mucp', server: 'mucp' } }, { ttlMs: 60_000 });
    const s = await startBasis(registry);
    const client = createClient(Basis, 'basis', { registry, wrap: wrapClient(roundRobin()) });
    try {
      for (let i = 0; i < 6; i++) assert.equal(replier((await client.hello({ name: 'x' })).msg), s.id);
    } finally {
      client.close();
      await s.server.stop();
      mucp.close();
      await registry.close();
    }
  });
});
