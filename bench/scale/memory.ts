import { Client, credentials } from '@grpc/grpc-js';
import { performance } from 'node:perf_hooks';
import { memoryRegistry, type ServiceNode } from '../../src/index';
import { fakeContext, nodeBreakerFilter } from '../shared/call-context';

export interface MemoryPerNode {
  /** Heap bytes per node held in a client's node list (as a registry delivers them: id, address, metadata). */
  nodeBytes: number;
  /** Heap bytes per per-node circuit (`breaker({ scope: 'node' })`: Circuit + rolling window + map entry). */
  circuitBytes: number;
  /** Heap bytes per grpc-js channel (one per node address, created on a node's first call; never connected here). */
  channelBytes: number;
  /** How many of each were made for the figures above. */
  nodes: number;
  circuits: number;
  channels: number;
}

export interface RegistryFill {
  nodes: number;
  /** memoryRegistry.register of N nodes one after another, total ms. */
  totalMs: number;
  /** …per register, µs. */
  usPerRegister: number;
}

function heapAfterGc(): number {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) throw new Error('memory figures need node --expose-gc');
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

function distinctNodes(n: number): ServiceNode[] {
  return Array.from({ length: n }, (_, i) => ({
    id: `mem-${i}-${Math.random().toString(36).slice(2, 10)}`, name: 'mem', version: '1',
    address: `127.0.0.1:${10000 + (i % 50000)}`, metadata: {},
  }));
}

/** Heap per node, per circuit and per channel, from heap deltas after GC. */
export function memoryPerNode(nodes: number, circuits: number, channels: number): MemoryPerNode {
  let base = heapAfterGc();
  const list = Object.freeze(distinctNodes(nodes)); // what NodeCache holds
  const nodeBytes = (heapAfterGc() - base) / nodes;

  const filter = nodeBreakerFilter();
  const ctx = fakeContext('mem');
  base = heapAfterGc();
  for (const node of list.slice(0, circuits)) filter.accept(node, ctx);
  const circuitBytes = (heapAfterGc() - base) / circuits;

  base = heapAfterGc();
  const made = list.slice(0, channels).map((node) => new Client(node.address, credentials.createInsecure()));
  const channelBytes = (heapAfterGc() - base) / made.length;
  for (const client of made) client.close();
  return { nodeBytes, circuitBytes, channelBytes, nodes, circuits, channels: made.length };
}

/** How long filling a memoryRegistry takes: each register republishes the whole service (O(N) per register). */
export async function registryFill(sizes: number[]): Promise<RegistryFill[]> {
  const rows: RegistryFill[] = [];
  for (const n of sizes) {
    const registry = memoryRegistry();
    const nodes = distinctNodes(n);
    const t0 = performance.now();
    for (const node of nodes) await registry.register(node, { ttlMs: 600_000 });
    const totalMs = performance.now() - t0;
    await registry.close();
    rows.push({ nodes: n, totalMs, usPerRegister: (totalMs * 1000) / n });
  }
  return rows;
}
