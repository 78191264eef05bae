import { createServer as netServer } from 'node:net';
import type { Registry, ServiceNode } from '../../src/index';

/** A loopback port with nothing listening on it: calls to it are refused at once. */
export async function closedPort(): Promise<number> {
  const server = netServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Registers a node whose process has "crashed": registered, but nothing answers at its address. */
export async function registerDeadNode(registry: Registry, name = 'basis'): Promise<ServiceNode> {
  const node: ServiceNode = { id: `${name}-dead-${await closedPort()}`, name, version: '', address: `127.0.0.1:${await closedPort()}`, metadata: {} };
  await registry.register(node, { ttlMs: 60_000 });
  return node;
}
