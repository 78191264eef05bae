import type { ServiceNode } from '../registry/registry';

/**
 * The nodes a gRPC client can call: those whose `protocol` metadata is absent (keel nodes before it wrote
 * one, hand-registered nodes) or `grpc`. go-micro's default server speaks its own `mucp` protocol on the
 * same registry and would answer a gRPC call with a transport error. Runs once per registry change, not
 * per call; returns the same array when nothing is dropped.
 */
export function grpcNodes(nodes: ServiceNode[]): ServiceNode[] {
  for (const node of nodes) {
    const protocol = node.metadata.protocol;
    if (protocol !== undefined && protocol !== 'grpc') return nodes.filter((n) => n.metadata.protocol === undefined || n.metadata.protocol === 'grpc');
  }
  return nodes;
}
