import type { IncomingHttpHeaders, ServerResponse } from 'node:http';
import {
  propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, TraceFlags,
  type Context, type Span, type SpanContext, type TextMapGetter, type Tracer,
} from '@opentelemetry/api';

const headerGetter: TextMapGetter<IncomingHttpHeaders> = {
  keys: (headers) => Object.keys(headers),
  get: (headers, key) => headers[key.toLowerCase()],
};

/**
 * The gateway's SERVER span for one HTTP request, a child of the caller's W3C `traceparent` (through the
 * global propagator) when it sent one; the calls it makes run with it active, so their CLIENT spans are its
 * children and the trace continues into the services. `route` is the low-cardinality name (`POST /rpc`).
 */
export function startRequestSpan(tracer: Tracer, headers: IncomingHttpHeaders, route: string, path: string): RequestSpan {
  let parent = propagation.extract(ROOT_CONTEXT, headers, headerGetter);
  if (trace.getSpanContext(parent) === undefined) {
    // No global propagator (no OpenTelemetry SDK set up): read the W3C header ourselves.
    const given = parseTraceparent(headers.traceparent);
    if (given !== undefined) parent = trace.setSpanContext(ROOT_CONTEXT, given);
  }
  const span = tracer.startSpan(route, { kind: SpanKind.SERVER, attributes: { 'http.request.method': 'POST', 'url.path': path.slice(0, 256) } }, parent);
  if (span.isRecording()) return { span, active: trace.setSpan(parent, span) };
  // Nothing records spans here, yet the trace must go on: the services behind may trace, and the caller
  // (the dashboard's form) shows the id. This hop gets a span id of its own in the caller's trace or a new
  // one, and the call carries it in `traceparent` (the tracing wrapper injects nothing without an SDK).
  const above = trace.getSpanContext(parent);
  const own: SpanContext = {
    traceId: above?.traceId ?? randomHex(32),
    spanId: randomHex(16),
    traceFlags: above?.traceFlags ?? TraceFlags.SAMPLED,
  };
  const hop = trace.wrapSpanContext(own);
  return { span: hop, active: trace.setSpan(parent, hop), traceparent: format(own) };
}

export interface RequestSpan {
  span: Span;
  /** The context the calls run in. */
  active: Context;
  /** Set when no SDK records spans: the `traceparent` the calls must carry themselves. */
  traceparent?: string;
}

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

function parseTraceparent(header: string | string[] | undefined): SpanContext | undefined {
  const m = typeof header === 'string' ? TRACEPARENT.exec(header.trim()) : null;
  if (m === null || /^0+$/.test(m[1]!) || /^0+$/.test(m[2]!)) return undefined;
  return { traceId: m[1]!, spanId: m[2]!, traceFlags: parseInt(m[3]!, 16) & 1, isRemote: true };
}

function format(sc: SpanContext): string {
  return `00-${sc.traceId}-${sc.spanId}-0${sc.traceFlags & 1}`;
}

/**
 * Tells the caller which trace its request joined: `traceresponse` (W3C Trace Context level 2,
 * `00-<trace id>-<span id>-<flags>` of the gateway's span) and `x-trace-id`, for logs and the dashboard.
 */
export function traceHeaders(span: Span, res: ServerResponse): void {
  const sc = span.spanContext();
  if (!trace.isSpanContextValid(sc) || res.headersSent) return;
  res.setHeader('traceresponse', `00-${sc.traceId}-${sc.spanId}-0${sc.traceFlags & 1}`);
  res.setHeader('x-trace-id', sc.traceId);
}

export function endRequestSpan(span: Span, httpStatus: number, service: string | undefined, endpoint: string | undefined): void {
  if (!span.isRecording()) return;
  span.setAttribute('http.response.status_code', httpStatus);
  if (service !== undefined) span.setAttribute('keel.service', service);
  if (endpoint !== undefined) span.setAttribute('keel.endpoint', endpoint);
  if (httpStatus >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
  span.end();
}


/**
 * Trace and span ids as OpenTelemetry's own RandomIdGenerator makes them (Math.random, not crypto: ids
 * need to be unique, not secret). crypto.randomBytes per request was 3 % of the gateway's CPU profile.
 */
function randomHex(length: number): string {
  let out = '';
  for (let i = 0; i < length; i += 8) out += (Math.floor(Math.random() * 0xffffffff) >>> 0).toString(16).padStart(8, '0');
  return /^0+$/.test(out) ? randomHex(length) : out.slice(0, length);
}
