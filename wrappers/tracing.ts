import { context, propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Attributes, type Span, type Tracer } from '@opentelemetry/api';
import { status } from '@grpc/grpc-js';
import { knownKeys } from '../src/options';
import type { Wrapper } from '../src/call';
import { metadataGetter, metadataSetter } from '../src/tracing/metadata-carrier';
import { rpcNames } from '../src/tracing/rpc-names';
import { endAttributes, isErrorStatus, semconvMode, startAttributes, type SemconvMode } from '../src/tracing/semconv';
import { parseHostPort } from '../src/address';

export interface TracingOptions {
  /**
   * The tracer to use. Default: `trace.getTracer('keel')` from the global provider (see `initTracing`),
   * looked up when the client or server is created.
   */
  tracer?: Tracer;
}

/**
 * Client and handler wrapper: OpenTelemetry spans for every call, on `@opentelemetry/api` only (the
 * application owns the SDK; `initTracing` sets one up).
 * - Client: a CLIENT span `basis.Basis/Hello`, child of the active context, with the RPC semantic
 *   conventions (`rpc.system`, `rpc.service`, `rpc.method`, `rpc.grpc.status_code`, and `server.address` /
 *   `server.port` of the node actually called); the span context goes into the outgoing metadata through
 *   the global propagator (W3C `traceparent` by default). Failures set ERROR status. With
 *   `OTEL_SEMCONV_STABILITY_OPT_IN=rpc` (or `rpc/dup`) the current conventions instead (or as well): see
 *   `src/tracing/semconv.ts`.
 * - Handler: extracts the caller's context from the metadata and runs the handler in an active SERVER
 *   span that is its child, so calls the handler makes through keel continue the trace.
 * @example wrapClient(roundRobin(), tracing()); wrapHandler(tracing())
 */
export function tracing(options: TracingOptions = {}): Wrapper {
  knownKeys(options, ['tracer'], 'tracing');
  const given = options.tracer;
  const mode = semconvMode();

  return {
    name: 'tracing',
    client: (next) => {
      const tracer = given ?? trace.getTracer('keel');
      return (request, ctx) => {
        const names = rpcNames(ctx.method);
        const parent = context.active();
        const span = tracer.startSpan(names.span, { kind: SpanKind.CLIENT, attributes: startAttributes(names, mode) }, parent);
        // Inject even when not sampled: the sampling decision travels with the context.
        propagation.inject(trace.setSpan(parent, span), ctx.metadata, metadataSetter);
        if (!span.isRecording()) return next(request, ctx);
        return next(request, ctx).then(
          (response) => {
            endClient(span, ctx.node?.address, status.OK, undefined, mode);
            return response;
          },
          (err: unknown) => {
            endClient(span, ctx.node?.address, codeOf(err), err, mode);
            throw err;
          },
        );
      };
    },
    handler: (next) => {
      const tracer = given ?? trace.getTracer('keel');
      return (request, ctx) => {
        const names = rpcNames(ctx.method);
        const parent = propagation.extract(ROOT_CONTEXT, ctx.metadata, metadataGetter);
        const span = tracer.startSpan(names.span, { kind: SpanKind.SERVER, attributes: startAttributes(names, mode) }, parent);
        const active = trace.setSpan(parent, span);
        const run = context.with(active, () => next(request, ctx));
        if (!span.isRecording()) return run;
        return run.then(
          (response) => {
            span.setAttributes(endAttributes('server', status.OK, mode));
            span.end();
            return response;
          },
          (err: unknown) => {
            fail(span, 'server', codeOf(err), err, mode);
            span.end();
            throw err;
          },
        );
      };
    },
  };
}

/** `server.address` / `server.port` per node address, parsed once (the per-call path only looks it up). */
const serverAttributes = new Map<string, Attributes>();
function serverOf(address: string): Attributes {
  let attributes = serverAttributes.get(address);
  if (attributes === undefined) {
    try {
      const { host, port } = parseHostPort(address, 'node address');
      attributes = { 'server.address': host, 'server.port': port };
    } catch {
      attributes = { 'server.address': address };
    }
    if (serverAttributes.size > 10_000) serverAttributes.clear(); // bounded: node addresses churn
    serverAttributes.set(address, attributes);
  }
  return attributes;
}

function endClient(span: Span, address: string | undefined, code: number, err: unknown, mode: SemconvMode): void {
  if (address !== undefined) span.setAttributes(serverOf(address));
  if (code === status.OK) span.setAttributes(endAttributes('client', code, mode));
  else fail(span, 'client', code, err, mode);
  span.end();
}

function fail(span: Span, kind: 'client' | 'server', code: number, err: unknown, mode: SemconvMode): void {
  span.setAttributes(endAttributes(kind, code, mode));
  const reason = (err as { reason?: unknown })?.reason;
  if (typeof reason === 'string') span.setAttribute('keel.reason', reason);
  if (isErrorStatus(kind, code, mode)) span.setStatus({ code: SpanStatusCode.ERROR, message: err instanceof Error ? err.message : String(err) });
}

function codeOf(err: unknown): number {
  const code = (err as { code?: unknown })?.code;
  return typeof code === 'number' ? code : status.UNKNOWN;
}
