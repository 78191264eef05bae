import type { CallContext } from '../call';
import type { ServiceNode } from '../registry/registry';

/**
 * The node for one attempt: a later attempt of a call (a retry, a hedge) goes to a node no earlier attempt
 * used while the selector accepts one, and to any node only when none is left. The first attempt (nothing
 * tried) is the selector's plain choice, with no allocation. A filter rather than this would have no way to
 * fall back: it sees one node at a time.
 */
export function pickNode(nodes: readonly ServiceNode[], ctx: CallContext): ServiceNode | undefined {
  const tried = ctx.tried;
  if (tried.length === 0 || nodes.length < 2) return ctx.selector.pick(nodes, ctx);
  const fresh = nodes.filter((node) => !tried.some((t) => t.id === node.id));
  if (fresh.length === 0 || fresh.length === nodes.length) return ctx.selector.pick(nodes, ctx);
  return ctx.selector.pick(fresh, ctx) ?? ctx.selector.pick(nodes, ctx);
}
