import type { CallContext, Selector } from '../call/contract';
import { acceptable } from '../call/node-choice';
import type { ServiceNode } from '../registry/registry';

/**
 * The default selector (go-micro's `selector.Random`): a uniformly random node; when filters veto it,
 * the next acceptable node after it.
 */
export const randomSelector: Selector = {
  pick(nodes: readonly ServiceNode[], ctx: CallContext): ServiceNode | undefined {
    const n = nodes.length;
    const start = n === 1 ? 0 : Math.floor(Math.random() * n);
    for (let i = 0; i < n; i++) {
      const node = nodes[(start + i) % n] as ServiceNode;
      if (acceptable(node, ctx)) return node;
    }
    return undefined;
  },
};
