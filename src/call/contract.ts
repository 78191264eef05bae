import type { Metadata, MethodDefinition } from '@grpc/grpc-js';
import type { KeelReason } from '../errors';
import type { ServiceNode } from '../registry/registry';

/** The four gRPC call kinds, named as on both sides of a call. */
export type CallKind = 'unary' | 'server_stream' | 'client_stream' | 'bidi';

/** The kind of a method, from its definition's streaming flags. */
export function kindOf(definition: { requestStream: boolean; responseStream: boolean }): CallKind {
  if (definition.requestStream) return definition.responseStream ? 'bidi' : 'client_stream';
  return definition.responseStream ? 'server_stream' : 'unary';
}

/** What a wrapper learns about a method once, when a client or server composes its wrappers for it. */
export interface MethodInfo {
  /** The registry name: the service called (client) or served (server), e.g. `basis`. */
  readonly service: string;
  /** The full gRPC path, e.g. `/basis.Basis/Hello`. */
  readonly method: string;
  readonly kind: CallKind;
  /** The method's definition (path, serializers, streaming flags). */
  readonly definition: MethodDefinition<unknown, unknown>;
}

/**
 * Told once how a call (or, below a retrying wrapper, an attempt) ended: `undefined` for OK, else the error
 * the caller sees. Unary and client-streaming calls end with their response; server-streaming and bidi calls
 * when the response stream ends with its final status, or when the consumer stops reading (a `cancelled` error).
 */
export type EndListener = (error: unknown) => void;

/**
 * What a client call carries through the wrappers. Every `next(request, ctx)` hands the layer below a context
 * of its own: what a wrapper sets here (deadline, selector, filters, metadata) is seen by the layers below it,
 * never by the layers above or by a later `next()`. A wrapper that calls `next` more than once starts a fresh
 * attempt each time: node choice, filters and deadlines set below it start afresh, and `attempt` counts up.
 */
export interface CallContext extends MethodInfo {
  /**
   * Aborting it cancels the call and every attempt (the server's `ctx.signal` aborts too). A wrapper may
   * replace it, for the layers below, with a signal that also aborts when this one does (hedging cancels
   * the attempts it no longer needs that way).
   */
  signal: AbortSignal | undefined;
  /** The caller's per-call `maxAttempts` option: at most this many attempts (1: no retry, no hedging). */
  readonly maxAttempts: number | undefined;
  /** 1 for the first attempt of the call; 2, 3… for each further `next()` a wrapper above made. */
  readonly attempt: number;
  /**
   * An object unique to this attempt and the same in every layer's context of it: a key for per-attempt
   * bookkeeping (the breaker's half-open probe belongs to the attempt that took it).
   */
  readonly attemptKey: object;
  /** The nodes earlier attempts of this call went to, oldest first: selectors may avoid them. */
  readonly tried: readonly ServiceNode[];
  /** Epoch ms at which this attempt fails with DEADLINE_EXCEEDED; travels to the server. Wrappers may shorten it. */
  deadline: number | undefined;
  /** How the node is chosen (default: random). A wrapper may replace it before calling `next`. */
  selector: Selector;
  /** Vetoes the selector consults; add with `addFilter`. */
  readonly filters: readonly NodeFilter[] | undefined;
  /** This attempt's outgoing metadata; wrappers may add to it (tracing injects `traceparent` here). */
  readonly metadata: Metadata;
  /** The node this attempt went to: set by node selection, so readable once `next` has answered. */
  readonly node: ServiceNode | undefined;
  /**
   * Calls `listener` once when the call this layer passed on with `next` ends (see `EndListener`), for every
   * call kind alike. Register it before calling `next`.
   */
  onEnd(listener: EndListener): void;
}

/**
 * A client call: what wrappers wrap. For unary and client-streaming methods it resolves to the response;
 * for server-streaming and bidi methods to an `AsyncIterable` of responses. For client-streaming and bidi
 * methods `request` is an `AsyncIterable` of requests.
 */
export type Call<Req = any, Res = any> = (request: Req, ctx: CallContext) => Promise<Res>;

/**
 * Chooses the node for one attempt. Contract: return the first node, in the selector's own order, that
 * every filter accepts (use `acceptable(node, ctx)`), or `undefined` when none does. A filter that
 * accepts may have reserved something for the attempt (a breaker's single half-open probe), so a selector
 * must not ask about a node it then does not use.
 */
export interface Selector {
  pick(nodes: readonly ServiceNode[], ctx: CallContext): ServiceNode | undefined;
  /**
   * Optional, for selectors that weigh load (`leastLoaded()`): told when the attempt is sent to the node it
   * chose (after any wait for a connection, which is not the node's latency); the listener it returns is called once when that attempt ends (for a hedged loser or a timed-out
   * attempt, when it was cancelled), so in-flight counts and latencies stay exact whatever the layers above do.
   */
  placed?(node: ServiceNode, ctx: CallContext): EndListener | undefined;
}

/** A veto on nodes, e.g. a per-node circuit breaker skipping nodes whose circuit is open. */
export interface NodeFilter {
  /** The reason the attempt fails with when this filter is the first to refuse the last candidate. */
  readonly reason: KeelReason;
  accept(node: ServiceNode, ctx: CallContext): boolean;
}

/** What a handler receives besides the request. */
export interface HandlerContext {
  /** The server's registry name, e.g. `basis`. */
  readonly service: string;
  /** The node id of the server answering (its `server.id`, `basis-<uuid>`): which instance served the call. */
  readonly nodeId: string;
  /** The full gRPC path, e.g. `/basis.Basis/Hello`. */
  readonly method: string;
  readonly kind: CallKind;
  /** Incoming metadata. */
  readonly metadata: Metadata;
  /** Epoch ms from the caller's `grpc-timeout`, or undefined when the caller set none. */
  readonly deadline: number | undefined;
  /** Aborted when the caller cancels or its deadline passes. */
  readonly signal: AbortSignal;
  /** The caller's address as grpc-js reports it. */
  readonly peer: string;
  /** Response headers to send: add to it before the first response message (or before returning). */
  readonly header: Metadata;
  /** Trailers sent with the final status, OK or not. */
  readonly trailer: Metadata;
  /** Calls `listener` once when the call ends: the status was sent, or the caller went away. */
  onEnd(listener: EndListener): void;
}

/**
 * A server-side handler: what handler wrappers wrap. For server-streaming and bidi methods it resolves to an
 * `AsyncIterable` (or `Iterable`) of responses; for client-streaming and bidi methods `request` is an
 * `AsyncIterable` of requests.
 */
export type Handler<Req = any, Res = any> = (request: Req, ctx: HandlerContext) => Promise<Res>;

/**
 * Client middleware: `(next) => call` (go-kit's Middleware, go-micro's CallWrapper). Applied once per method
 * of each client, so per-method state can be resolved from `method` here rather than on every call.
 */
export type ClientWrapper = (next: Call, method: MethodInfo) => Call;

/** Handler middleware: `(next) => handler` (go-micro's HandlerWrapper), applied once per method served. */
export type HandlerWrapper = (next: Handler, method: MethodInfo) => Handler;

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
