import type { CallContext, NodeFilter } from '../call';
import type { ServiceNode } from '../registry/registry';

/** Refuses the nodes earlier attempts of the call used. First among the filters, so no other is asked about them. */
const untried: NodeFilter = {
  reason: 'no_nodes',
  accept: (node, ctx) => !ctx.tried.some((t) => t.id === node.id),
};

/**
 * The node for one attempt: a later attempt of a call (a retry, a hedge) goes to a node no earlier attempt
 * used while the selector accepts one, and to any node only when none is left. The selector sees the full
 * node list either way, so a rotation keeps its place (a retry is the rotation's next node). The first
 * attempt is the selector's plain choice, at no cost. A filter alone could not fall back: it sees one node.
 */
export function pickNode(nodes: readonly ServiceNode[], ctx: CallContext): ServiceNode | undefined {
  if (ctx.tried.length === 0) return ctx.selector.pick(nodes, ctx);
  const own = ctx as { filters: readonly NodeFilter[] | undefined };
  const filters = own.filters;
  own.filters = filters === undefined ? [untried] : [untried, ...filters];
  let node: ServiceNode | undefined;
  try {
    node = ctx.selector.pick(nodes, ctx);
  } finally {
    own.filters = filters;
  }
  return node ?? ctx.selector.pick(nodes, ctx);
}
