import type { CallContext, Selector } from '../call/contract';
import { acceptable } from '../call/node-choice';
import type { ServiceNode } from '../registry/registry';

interface Rotation {
  next: number;
  nodes: readonly ServiceNode[] | undefined;
  lastId: string | undefined;
}

/**
 * Round robin over a service's nodes (grpc-js's round_robin picker): one rotation per service, starting
 * at a random offset so that a fleet of fresh clients does not all hit the first node; when the node list
 * changes it continues after the node it picked last, so no node gets a burst and none is skipped twice.
 * Nodes vetoed by filters (an open per-node circuit) are passed over.
 */
export class RoundRobinSelector implements Selector {
  private readonly rotations = new Map<string, Rotation>();

  constructor(private readonly random: () => number = Math.random) {}

  pick(nodes: readonly ServiceNode[], ctx: CallContext): ServiceNode | undefined {
    const n = nodes.length;
    if (n === 0) return undefined;
    let rotation = this.rotations.get(ctx.service);
    if (rotation === undefined) {
      rotation = { next: Math.floor(this.random() * n), nodes, lastId: undefined };
      this.rotations.set(ctx.service, rotation);
    } else if (rotation.nodes !== nodes) {
      // A new list (the registry changed): keep our place relative to the last node picked.
      const at = rotation.lastId === undefined ? -1 : nodes.findIndex((node) => node.id === rotation!.lastId);
      rotation.next = at >= 0 ? at + 1 : rotation.next;
      rotation.nodes = nodes;
    }
    for (let i = 0; i < n; i++) {
      const index = (rotation.next + i) % n;
      const node = nodes[index] as ServiceNode;
      if (acceptable(node, ctx)) {
        rotation.next = (index + 1) % n;
        rotation.lastId = node.id;
        return node;
      }
    }
    return undefined;
  }
}
