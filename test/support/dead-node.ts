import type { Registry, ServiceNode } from '../../src/index';
import { freePort } from './free-port';

/** Registers a node whose process has "crashed": registered, but nothing listens at its address. */
export async function registerDeadNode(registry: Registry, name = 'basis'): Promise<ServiceNode> {
  const port = await freePort();
  const node: ServiceNode = { id: `${name}-dead-${port}`, name, version: '', address: `127.0.0.1:${port}`, metadata: {} };
  await registry.register(node, { ttlMs: 60_000 });
  return node;
}
