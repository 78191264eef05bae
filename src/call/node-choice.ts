import type { ServiceNode } from '../registry/registry';
import type { CallContext, NodeFilter } from './contract';
import type { ClientContext } from './context';

/** True when every filter on the call accepts `node`. For use by selectors. */
export function acceptable(node: ServiceNode, ctx: CallContext): boolean {
  const filters = ctx.filters;
  if (filters === undefined) return true;
  for (let i = 0; i < filters.length; i++) {
    if (!(filters[i] as NodeFilter).accept(node, ctx)) return false;
  }
  return true;
}

/** Refuses the nodes earlier attempts of the call used. First among the filters, so no other is asked about them. */
const untried: NodeFilter = {
  reason: 'no_nodes',
  accept: (node, ctx) => !ctx.tried.some((t) => t.id === node.id),
};

/**
 * The node for one attempt: how a retry or a hedge avoids the nodes earlier attempts used. A later attempt of
 * a call goes to a node no earlier attempt used while the selector accepts one, and to any node only when
 * none is left. The selector sees the full node list either way, so a rotation keeps its place (a retry is
 * the rotation's next node). The first attempt is the selector's plain choice, at no cost. A filter alone
 * could not fall back: it sees one node.
 */
export function pickNode(nodes: readonly ServiceNode[], ctx: ClientContext): ServiceNode | undefined {
  if (ctx.tried.length === 0) return ctx.selector.pick(nodes, ctx);
  return ctx.withFilterFirst(untried, () => ctx.selector.pick(nodes, ctx)) ?? ctx.selector.pick(nodes, ctx);
}
