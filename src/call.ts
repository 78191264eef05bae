import type { Metadata, MethodDefinition } from '@grpc/grpc-js';
import type { KeelReason } from './errors';
import type { ServiceNode } from './registry/registry';

/**
 * What a client call carries through the wrappers. One object per call: per-call state lives here,
 * never in a wrapper's closure.
 */
export interface CallContext {
  /** The registry name being called, e.g. `basis`. */
  readonly service: string;
  /** The full gRPC path, e.g. `/basis.Basis/Hello`. */
  readonly method: string;
  /** The method's definition (path, serializers, streaming flags). */
  readonly definition: MethodDefinition<unknown, unknown>;
  /** Outgoing metadata; wrappers may add to it (tracing injects `traceparent` here). */
  readonly metadata: Metadata;
  /** Epoch ms at which the call fails with DEADLINE_EXCEEDED; travels to the server. Wrappers may shorten it. */
  deadline: number | undefined;
  /** Aborting it cancels the RPC (the server's `ctx.signal` aborts too). */
  readonly signal: AbortSignal | undefined;
  /** How the node is chosen (default: random). A wrapper may replace it before calling `next`. */
  selector: Selector;
  /** Vetoes consulted by the selector; wrappers add theirs with `addFilter`. */
  filters: NodeFilter[] | undefined;
  /** The node the call went to: set by node selection, so readable once `next` has settled. */
  node: ServiceNode | undefined;
}

/** A client call: what wrappers wrap. */
export type Call<Req = any, Res = any> = (request: Req, ctx: CallContext) => Promise<Res>;

/**
 * Chooses the node for one call. Contract: return the first node, in the selector's own order, that
 * every filter accepts (use `acceptable(node, ctx)`), or `undefined` when none does. A filter that
 * accepts may have reserved something for the call (a breaker's single half-open probe), so a selector
 * must not ask about a node it then does not use.
 */
export interface Selector {
  pick(nodes: readonly ServiceNode[], ctx: CallContext): ServiceNode | undefined;
}

/** A veto on nodes, e.g. a per-node circuit breaker skipping nodes whose circuit is open. */
export interface NodeFilter {
  /** The reason the call fails with when this filter leaves no node. */
  readonly reason: KeelReason;
  accept(node: ServiceNode, ctx: CallContext): boolean;
}

/** Adds a veto to this call (no effect on other calls). */
export function addFilter(ctx: CallContext, filter: NodeFilter): void {
  if (ctx.filters === undefined) ctx.filters = [filter];
  else ctx.filters.push(filter);
}

/** True when every filter on the call accepts `node`. For use by selectors. */
export function acceptable(node: ServiceNode, ctx: CallContext): boolean {
  const filters = ctx.filters;
  if (filters === undefined) return true;
  for (let i = 0; i < filters.length; i++) {
    if (!(filters[i] as NodeFilter).accept(node, ctx)) return false;
  }
  return true;
}

/** What a handler receives besides the request. */
export interface HandlerContext {
  /** The server's registry name, e.g. `basis`. */
  readonly service: string;
  /** The full gRPC path, e.g. `/basis.Basis/Hello`. */
  readonly method: string;
  /** Incoming metadata. */
  readonly metadata: Metadata;
  /** Epoch ms from the caller's `grpc-timeout`, or undefined when the caller set none. */
  readonly deadline: number | undefined;
  /** Aborted when the caller cancels or its deadline passes. */
  readonly signal: AbortSignal;
  /** The caller's address as grpc-js reports it. */
  readonly peer: string;
}

/** A server-side handler: what handler wrappers wrap. */
export type Handler<Req = any, Res = any> = (request: Req, ctx: HandlerContext) => Promise<Res>;

/** Client middleware: `(next) => call` (go-kit's Middleware, go-micro's CallWrapper). */
export type ClientWrapper = (next: Call) => Call;

/** Handler middleware: `(next) => handler` (go-micro's HandlerWrapper). */
export type HandlerWrapper = (next: Handler) => Handler;

/**
 * What a wrapper factory (`roundRobin()`, `breaker()`, …) returns: a client face, a handler face or both.
 * Pass it to `wrapClient` / `wrapHandler`.
 */
export interface Wrapper {
  /** Used in error messages, e.g. `roundRobin`. */
  readonly name: string;
  readonly client?: ClientWrapper;
  readonly handler?: HandlerWrapper;
}
