import type { Registry, ServiceNode } from '../../src/index';

/**
 * A registry that serves one fixed list of nodes: N fake nodes for the scale measurements without
 * memoryRegistry's O(N) work per register (filling it with 10,000 nodes takes seconds; see the report).
 */
export function fixedRegistry(nodes: ServiceNode[]): Registry {
  return {
    kind: 'fixed',
    register: () => Promise.reject(new Error('fixed registry')),
    deregister: () => Promise.reject(new Error('fixed registry')),
    getService: async (name) => nodes.filter((n) => n.name === name),
    listServices: async () => [...new Set(nodes.map((n) => n.name))].sort(),
    watch: () => () => undefined,
    close: async () => undefined,
  };
}

/** N nodes of `service`, every one at `address` (so calls reach one real server whatever node is picked). */
export function fakeNodes(service: string, n: number, address = '127.0.0.1:9'): ServiceNode[] {
  return Array.from({ length: n }, (_, i) => ({ id: `${service}-${i}`, name: service, version: '1', address, metadata: {} }));
}
