import { status } from '@grpc/grpc-js';
import type { Call, CallContext, NodeFilter } from '../call';
import { KeelError } from '../errors';
import type { ServiceNode } from '../registry/registry';
import type { ChannelPool } from './channels';
import { cancelled, deadlineExceeded, invoke } from './invoke';
import type { NodeCache } from './node-cache';

/**
 * The innermost call, under all wrappers: pick a node (unless a wrapper already set `ctx.node`) with
 * the context's selector and filters, then send the RPC on that node's channel.
 */
export function terminal(cache: NodeCache, pool: ChannelPool): Call {
  const send = (request: unknown, ctx: CallContext, nodes: readonly ServiceNode[]): Promise<unknown> => {
    let node = ctx.node;
    if (node === undefined) {
      node = ctx.selector.pick(nodes, ctx);
      if (node === undefined) return Promise.reject(noneAcceptable(ctx, nodes.length));
      ctx.node = node;
    }
    return invoke(pool, pool.acquire(node.address), request, ctx);
  };

  return (request, ctx) => {
    if (ctx.signal?.aborted) return Promise.reject(cancelled());
    if (ctx.deadline !== undefined && ctx.deadline <= Date.now()) return Promise.reject(deadlineExceeded());
    const nodes = cache.get();
    if (!(nodes instanceof Promise)) return send(request, ctx, nodes);
    return bounded(nodes, ctx).then((known) => send(request, ctx, known));
  };
}

function noneAcceptable(ctx: CallContext, known: number): KeelError {
  if (known === 0) return new KeelError(status.UNAVAILABLE, 'no_nodes', `no nodes registered for "${ctx.service}"`);
  const reason = (ctx.filters?.[0] as NodeFilter | undefined)?.reason ?? 'no_nodes';
  return new KeelError(status.UNAVAILABLE, reason, `all ${known} nodes of "${ctx.service}" were refused (${reason})`);
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
