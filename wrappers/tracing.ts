import { context, propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Attributes, type Context, type Span, type SpanOptions, type Tracer } from '@opentelemetry/api';
import { AsyncResource } from 'node:async_hooks';
import { status } from '@grpc/grpc-js';
import { knownKeys } from '../src/options';
import type { Wrapper } from '../src/call';
import { metadataGetter, metadataSetter } from '../src/tracing/metadata-carrier';
import { rpcNames } from '../src/tracing/rpc-names';
import { endAttributesOnce, isErrorStatus, semconvMode, startAttributes, type SemconvMode } from '../src/tracing/semconv';
import { parseHostPort } from '../src/address';
import { isKeelError } from '../src/errors';
import { cleanTransportMessage, stackWithMessage } from '../src/grpc-message';
import type { ServiceNode } from '../src/registry/registry';
import { callScope, type CallScope } from '../src/call';
import { withSpan } from '../src/tracing/with-span';

export interface TracingOptions {
  /**
   * The tracer to use. Default: `trace.getTracer('keel')` from the global provider (see `initTracing`),
   * looked up when the client or server is created.
   */
  tracer?: Tracer;
}

/**
 * Client and handler wrapper: OpenTelemetry spans for every call of every kind, on `@opentelemetry/api`
 * only (the application owns the SDK; `initTracing` sets one up).
 * - Client: a CLIENT span `basis.Basis/Hello`, child of the active context, covering the whole call (a
 *   stream until its final status), with the RPC semantic conventions (`rpc.system`, `rpc.service`,
 *   `rpc.method`, `rpc.grpc.status_code`, and `server.address` / `server.port` / `keel.node.id` of the node
 *   actually called); the span context goes into the outgoing metadata through the global propagator (W3C
 *   `traceparent` by default). Failures set ERROR status with a clean message, `error.type` (the status
 *   name) and an `exception` event; a caller that cancels or stops reading a stream is not a failure.
 *   Inside `retry()` / `hedge()` (the recommended place) every attempt after the first is a CLIENT span of its
 *   own carrying `previous-rpc-attempts` (gRPC A72) = the attempts before it; outside them, one span per call.
 *   When the caller has no span open, the call's first attempt opens the call's span — a CLIENT span that
 *   covers the whole call, ends with its outcome and `keel.attempts`, and carries the first attempt (whose
 *   server span is its child; a failed first attempt is an `attempt failed` event on it) — and later attempts
 *   are its children, so each call is one trace: its trace id is the one in the first attempt's
 *   `traceparent`. A call that needs one attempt, nearly all of them, makes one span, not A72's two (a call
 *   span and an attempt span cost ~2 µs more per sampled call: bench/notes/tracing21-floor.md §7). Inside a
 *   caller's span the attempts are that span's children. An unsampled call makes no attempt spans: every
 *   attempt sends the call's context.
 *   With `OTEL_SEMCONV_STABILITY_OPT_IN=rpc` (or `rpc/dup`) the current conventions instead (or as well):
 *   see `src/tracing/semconv.ts`.
 * - Handler: extracts the caller's context from the metadata and runs the handler in an active SERVER span
 *   that is its child — for streaming handlers, every step of the generator too — so calls the handler makes
 *   through keel continue the trace. `keel.node.id` names the node serving (`ctx.nodeId`).
 * @example wrapClient(roundRobin(), tracing()); wrapHandler(tracing())
 */
export function tracing(options: TracingOptions = {}): Wrapper {
  knownKeys(options, ['tracer'], 'tracing');
  const given = options.tracer;
  const mode = semconvMode();
  // This instance's own caches: two clients (or a client and a server) in one process never share them.
  const ends: Ends = { mode, attributes: endAttributesOnce(mode), serverOf: serverAttributes() };

  return {
    name: 'tracing',
    client: (next, method) => {
      const tracer = given ?? trace.getTracer('keel');
      const names = rpcNames(method.method);
      const attributes = startAttributes(names, mode);
      const okEnd = new WeakMap<ServiceNode, Attributes>();
      // Made once: a call builds no options or attribute objects of its own (most are never sampled).
      const single: SpanOptions = { kind: SpanKind.CLIENT, attributes };
      const attempts = attemptOptions(attributes);
      // The key of this wrapper's call span in a call's scope (one per client method: two tracing() layers keep their own).
      const callKey = {};
      return (request, ctx) => {
        let parent = context.active();
        // Below retry() or hedge() each later attempt is a span of its own (gRPC's A72 attempt spans), numbered.
        // With no span of the caller's open, they hang under the call's span, so that the call is one trace.
        const scope = callScope(ctx);
        if (scope !== undefined && trace.getSpan(parent) === undefined) {
          const call = scope.get<Context>(callKey);
          if (call === undefined) {
            const active = startCall(tracer, names.span, single, parent, scope, callKey, (span, error) => endClient(span, scope.node, error, ends, okEnd));
            const span = trace.getSpan(active) as Span;
            if (span.isRecording()) ctx.onEnd((error) => firstAttemptEnded(span, ctx.node, error, ends));
            propagation.inject(active, ctx.metadata, metadataSetter);
            return next(request, ctx);
          }
          if (!(trace.getSpan(call) as Span).isRecording()) {
            // Not sampled: no attempt span would record either, so each attempt sends the call's context as it is
            // (its trace id and the not-sampled flag are all a peer can use): one span per call, as without retry.
            propagation.inject(call, ctx.metadata, metadataSetter);
            return next(request, ctx);
          }
          parent = call;
        }
        const span = tracer.startSpan(names.span, scope === undefined && ctx.attempt === 1 ? single : attempts(ctx.attempt), parent);
        // Inject even when not sampled: the sampling decision travels with the context.
        propagation.inject(withSpan(parent, span), ctx.metadata, metadataSetter);
        if (span.isRecording()) ctx.onEnd((error) => endClient(span, ctx.node, error, ends, okEnd));
        return next(request, ctx);
      };
    },
    handler: (next, method) => {
      const tracer = given ?? trace.getTracer('keel');
      const names = rpcNames(method.method);
      const attributes = startAttributes(names, mode);
      const streams = method.kind === 'server_stream' || method.kind === 'bidi';
      // The span's options per serving node (its `keel.node.id` among the start attributes): made once per server.
      const byNode = new Map<string, SpanOptions>();
      const serverOptions = (nodeId: string): SpanOptions => {
        let options = byNode.get(nodeId);
        if (options === undefined) {
          if (byNode.size >= 64) byNode.clear(); // bounded: one entry per server this wrapper serves
          options = { kind: SpanKind.SERVER, attributes: Object.freeze({ ...attributes, [NODE_ID]: nodeId }) };
          byNode.set(nodeId, options);
        }
        return options;
      };
      return (request, ctx) => {
        const parent = propagation.extract(ROOT_CONTEXT, ctx.metadata, metadataGetter);
        const span = tracer.startSpan(names.span, serverOptions(ctx.nodeId), parent);
        const active = withSpan(parent, span);
        if (span.isRecording()) {
          ctx.onEnd((error) => {
            if (error === undefined) span.setAttributes(ends.attributes('server', status.OK));
            else fail(span, 'server', codeOf(error), error, ends);
            span.end();
          });
        }
        const run = context.with(active, () => next(request, ctx));
        return streams ? run.then((responses) => inContext(responses as AsyncIterable<unknown>, active)) : run;
      };
    },
  };
}

/** An attempt span's options by attempt number (`previous-rpc-attempts` = number − 1), made once each for the first few. */
function attemptOptions(attributes: Attributes): (attempt: number) => SpanOptions {
  const made: SpanOptions[] = [];
  const make = (attempt: number): SpanOptions => ({ kind: SpanKind.CLIENT, attributes: { ...attributes, [PREVIOUS_ATTEMPTS]: attempt - 1 } });
  return (attempt) => (attempt > 8 ? make(attempt) : (made[attempt] ??= make(attempt)));
}

/**
 * The call's span: a CLIENT span over the whole call, ended with the call's outcome and `keel.attempts`.
 * Made by the call's first attempt, which it also carries (that attempt's server span is its child); later
 * attempts are its children, so the gaps between them show the retry delays. gRPC A72 makes a call span and
 * an attempt span for every call; one span serves here until a second attempt starts. Returns the context
 * the call's attempts start in, kept in the call's scope.
 */
function startCall(tracer: Tracer, name: string, options: SpanOptions, parent: Context, scope: CallScope, key: object,
  end: (span: Span, error: unknown) => void): Context {
  const span = tracer.startSpan(name, options, parent);
  const active = withSpan(parent, span); // only read: what the first attempt injects, the later attempts' parent
  scope.set(key, active);
  if (span.isRecording()) {
    scope.onEnd((error) => {
      span.setAttribute(ATTEMPTS, scope.attempts);
      end(span, error);
    });
  }
  return active;
}

/**
 * The first attempt failed: an `attempt failed` event on the call's span, which carries that attempt (its
 * own end is the call's). What a later attempt's span would say: the code, the node, the clean message. An
 * attempt keel cancelled (a hedge won, the caller left) did not fail, and may end after the call.
 */
function firstAttemptEnded(span: Span, node: ServiceNode | undefined, error: unknown, ends: Ends): void {
  if (error === undefined || (isKeelError(error, 'cancelled') && error.origin === 'local')) return;
  const code = codeOf(error);
  const attributes: Attributes = { ...ends.attributes('client', code), [PREVIOUS_ATTEMPTS]: 0 };
  if (node !== undefined) Object.assign(attributes, ends.serverOf(node.address), { [NODE_ID]: node.id });
  const reason = (error as { reason?: unknown })?.reason;
  if (typeof reason === 'string') attributes['keel.reason'] = reason;
  attributes['exception.message'] = cleanTransportMessage(error instanceof Error ? error.message : String(error));
  span.addEvent(ATTEMPT_FAILED, attributes);
}

/** A streaming handler's responses, each pulled with the handler's span context active. */
function inContext(responses: AsyncIterable<unknown> | Iterable<unknown>, active: Context): AsyncIterable<unknown> {
  const within = scopeOf(active);
  return {
    [Symbol.asyncIterator]() {
      const source = responses as Partial<AsyncIterable<unknown> & Iterable<unknown>>;
      const it: AsyncIterator<unknown> | Iterator<unknown> = typeof source[Symbol.asyncIterator] === 'function'
        ? (source as AsyncIterable<unknown>)[Symbol.asyncIterator]() : (source as Iterable<unknown>)[Symbol.iterator]();
      // Not `async` functions: one more async frame per message cost ~1.6 µs of server CPU (measured).
      const step = (run: () => IteratorResult<unknown> | Promise<IteratorResult<unknown>>): Promise<IteratorResult<unknown>> => {
        try {
          return Promise.resolve(within(run));
        } catch (err) {
          return Promise.reject(err);
        }
      };
      const done: IteratorResult<unknown> = { done: true, value: undefined };
      return {
        next: () => step(() => it.next()),
        return: (value?: unknown) => step(() => (it.return === undefined ? done : it.return(value))),
      };
    },
  };
}

/** What ends a span, per tracing() instance: the semconv mode and the instance's own attribute caches. */
interface Ends {
  mode: SemconvMode;
  attributes: (kind: 'client' | 'server', code: number) => Attributes;
  serverOf: (address: string) => Attributes;
}

/**
 * Runs functions with `active` as the active context, once per message of a stream. `context.with` on the SDK's
 * AsyncLocalStorage manager makes a new async context frame each time (Node ≥ 24: ~220 ns and ~725 bytes);
 * an AsyncResource made once inside it re-enters the same frame for ~20 ns (measured on Node 20, 24, 26). Used
 * only where it is seen to carry the context (a context manager not built on async_hooks would not).
 */
function scopeOf(active: Context): <T>(fn: () => T) => T {
  const resource = context.with(active, () => new AsyncResource('keel.tracing.stream'));
  if (resource.runInAsyncScope(() => context.active()) === active) return (fn) => resource.runInAsyncScope(fn);
  return (fn) => context.with(active, fn);
}

/** On a call span: how many attempts the call made, hedges included. */
const ATTEMPTS = 'keel.attempts';

/** The event on a call's span when the first attempt, which the span carries, failed. */
const ATTEMPT_FAILED = 'attempt failed';

/** gRPC A72's attribute on an attempt span: how many attempts of the call came before it. */
const PREVIOUS_ATTEMPTS = 'previous-rpc-attempts';

/**
 * The keel node id (`basis-<uuid>`) of the node that served the call: on a server span its own, on a
 * client span the one this attempt chose. A span attribute, not the resource's `service.instance.id`: a
 * process may run several servers under one resource (see `initTracing`), and a client talks to many nodes.
 */
const NODE_ID = 'keel.node.id';

/** `server.address` / `server.port` per node address, parsed once per tracing() instance (the per-call path only looks it up). */
function serverAttributes(): (address: string) => Attributes {
  const known = new Map<string, Attributes>();
  return (address) => {
    let attributes = known.get(address);
    if (attributes === undefined) {
      try {
        const { host, port } = parseHostPort(address, 'node address');
        attributes = { 'server.address': host, 'server.port': port };
      } catch {
        attributes = { 'server.address': address };
      }
      if (known.size > 10_000) known.clear(); // bounded: node addresses churn
      known.set(address, attributes);
    }
    return attributes;
  };
}

/**
 * A call that ended OK gets its node's `server.*`, `keel.node.id` and the OK status attributes in one object,
 * made once per node object (`okEnd`, per method): one `setAttributes` on the common path instead of three.
 */
function endClient(span: Span, node: ServiceNode | undefined, error: unknown, ends: Ends, okEnd: WeakMap<ServiceNode, Attributes>): void {
  if (error === undefined && node !== undefined) {
    // Keyed by the node object: a registry change makes new ones, and the old entries go with them.
    let attributes = okEnd.get(node);
    if (attributes === undefined) {
      attributes = Object.freeze({ ...ends.serverOf(node.address), [NODE_ID]: node.id, ...ends.attributes('client', status.OK) });
      okEnd.set(node, attributes);
    }
    span.setAttributes(attributes);
    span.end();
    return;
  }
  if (node !== undefined) {
    span.setAttributes(ends.serverOf(node.address));
    span.setAttribute(NODE_ID, node.id);
  }
  if (error === undefined) span.setAttributes(ends.attributes('client', status.OK));
  else if (isKeelError(error, 'cancelled') && error.origin === 'local') {
    // The caller ended the call (its signal, or it stopped reading a stream): not a failure of the call.
    span.setAttributes(ends.attributes('client', status.CANCELLED));
    span.setAttribute('keel.reason', 'cancelled');
  } else fail(span, 'client', codeOf(error), error, ends);
  span.end();
}

function fail(span: Span, kind: 'client' | 'server', code: number, err: unknown, ends: Ends): void {
  span.setAttributes(ends.attributes(kind, code));
  const reason = (err as { reason?: unknown })?.reason;
  if (typeof reason === 'string') span.setAttribute('keel.reason', reason);
  if (!isErrorStatus(kind, code, ends.mode)) return;
  const raw = err instanceof Error ? err.message : String(err);
  const message = cleanTransportMessage(raw);
  span.setStatus({ code: SpanStatusCode.ERROR, message });
  // The exception event: what Jaeger shows as the span's log, with the error's class and stack (whose header
  // says the clean message: an error that did not come through the client may still carry grpc-js's raw text).
  if (!(err instanceof Error)) return span.recordException(message);
  const stack = err.stack !== undefined && raw !== message ? stackWithMessage(err.stack, err.name, message) : err.stack;
  span.recordException({ name: err.name, message, stack });
}

function codeOf(err: unknown): number {
  const code = (err as { code?: unknown })?.code;
  return typeof code === 'number' ? code : status.UNKNOWN;
}
