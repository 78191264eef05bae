import type { IncomingHttpHeaders, ServerResponse } from 'node:http';
import { propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Context, type Span, type TextMapGetter, type Tracer } from '@opentelemetry/api';

const headerGetter: TextMapGetter<IncomingHttpHeaders> = {
  keys: (headers) => Object.keys(headers),
  get: (headers, key) => headers[key.toLowerCase()],
};

/**
 * The gateway's SERVER span for one HTTP request, a child of the caller's W3C `traceparent` (through the
 * global propagator) when it sent one; the calls it makes run with it active, so their CLIENT spans are its
 * children and the trace continues into the services. `route` is the low-cardinality name (`POST /rpc`).
 */
export function startRequestSpan(tracer: Tracer, headers: IncomingHttpHeaders, route: string, path: string): { span: Span; active: Context } {
  const parent = propagation.extract(ROOT_CONTEXT, headers, headerGetter);
  const span = tracer.startSpan(route, { kind: SpanKind.SERVER, attributes: { 'http.request.method': 'POST', 'url.path': path.slice(0, 256) } }, parent);
  return { span, active: trace.setSpan(parent, span) };
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

