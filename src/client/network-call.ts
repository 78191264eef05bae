import type { Call, CallContext, MethodInfo, NodeFilter } from '../call/contract';
import type { ClientContext } from '../call/context';
import { observeEnd } from '../call/end-event';
import { pickNode } from '../call/node-choice';
import { cancelled, deadlineExceeded, keelError, type KeelError } from '../errors';
import type { ServiceNode } from '../registry/registry';
import type { Channel, ChannelPool } from './channels';
import { whenConnected } from './connect';
import { INVOKERS } from './invoke';
import type { NodeCache } from './node-cache';

/**
 * The innermost call of a method, under all wrappers: one attempt. Picks a node with the context's
 * selector and filters (every attempt picks afresh), then sends the RPC on that node's channel.
 */
export function networkCall(cache: NodeCache, pool: ChannelPool, method: MethodInfo): Call {
  const invoke = INVOKERS[method.kind];
  const send = (request: unknown, ctx: ClientContext, nodes: readonly ServiceNode[]): Promise<unknown> => {
    const node = pickNode(nodes, ctx);
    if (node === undefined) return Promise.reject(noneAcceptable(ctx, nodes.length));
    ctx.recordNode(node);
    const channel = pool.acquire(node.address);
    const connecting = whenConnected(channel, ctx, pool.connectTimeoutMs);
    if (connecting === undefined) return placed(node, request, ctx, channel);
    return connecting.then(() => placed(node, request, ctx, channel), (err: unknown) => {
      pool.release(channel);
      throw err;
    });
  };
  /** Sends the attempt; a selector that weighs load is told now, after any wait for a connection (not the node's latency). */
  const placed = (node: ServiceNode, request: unknown, ctx: ClientContext, channel: Channel): Promise<unknown> => {
    const ended = ctx.selector.placed?.(node, ctx);
    const sent = invoke(pool, channel, request, ctx);
    return ended === undefined ? sent : observeEnd(sent, method.kind, [ended]);
  };

  return (request, ctx) => {
    if (ctx.signal?.aborted) return Promise.reject(cancelled());
    if (ctx.deadline !== undefined && ctx.deadline <= Date.now()) return Promise.reject(deadlineExceeded());
    const nodes = cache.get();
    if (!(nodes instanceof Promise)) return send(request, ctx as ClientContext, nodes);
    return bounded(nodes, ctx).then((known) => send(request, ctx as ClientContext, known));
  };
}

/** Every known node was refused: the reason is the first filter's (e.g. `circuit_open`), else `no_nodes`. */
function noneAcceptable(ctx: CallContext, known: number): KeelError {
  if (known === 0) return keelError('no_nodes', `no nodes registered for "${ctx.service}"`);
  const reason = (ctx.filters?.[0] as NodeFilter | undefined)?.reason ?? 'no_nodes';
  return keelError(reason, `all ${known} nodes of "${ctx.service}" were refused (${reason})`);
}

/** A registry lookup must not outlive the call's deadline or signal. */
function bounded<T>(lookup: Promise<T>, ctx: CallContext): Promise<T> {
  const { deadline, signal } = ctx;
  if (deadline === undefined && signal === undefined) return lookup;
  return new Promise<T>((resolve, reject) => {
    const timer = deadline === undefined ? undefined
      : setTimeout(() => reject(deadlineExceeded('the deadline passed while looking up nodes')), deadline - Date.now());
    const onAbort = (): void => reject(cancelled());
    signal?.addEventListener('abort', onAbort, { once: true });
    lookup.then(resolve, reject).finally(() => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    });
  });
}
