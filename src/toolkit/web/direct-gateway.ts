import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { context, trace, TraceFlags } from '@opentelemetry/api';
import { status } from '@grpc/grpc-js';
import type { BreakerWrapper } from '../../../wrappers/breaker';
import type { RateLimitWrapper } from '../../../wrappers/rate-limit';
import { knownKeys } from '../../options';
import { monotonicClock, type Clock } from '../../registry/registry';
import type { GatewayStats, JsonCaller, WebGateway } from './gateway';
import { RecentCalls } from './recent-calls';

export interface DirectGatewayOptions {
  /** Makes the calls: a DynamicCaller whose `wrap` holds `breaker` and `limiter`. */
  caller: JsonCaller;
  breaker?: BreakerWrapper;
  limiter?: RateLimitWrapper;
  /** Deadline of each call. Default 5000. */
  timeoutMs?: number;
  /** Latency percentiles and error rates cover this much recent time. Default 60000. */
  windowMs?: number;
  /** Largest request body accepted. Default 1 MiB. */
  maxBodyBytes?: number;
  /** Time source for latencies. Default: monotonic. */
  clock?: Clock;
}

/**
 * A minimal `POST /rpc` (`{ service, endpoint, request }` → the reply as JSON) over a caller, recording each
 * call's latency and outcome for the dashboard. The dashboard uses it when no API gateway is given; the
 * gateway's own `createGateway()` (path routing, form bodies, the full status mapping) replaces it.
 * Each call continues the request's `traceparent`, or starts a trace, and answers its id in `x-trace-id`.
 */
export function directGateway(options: DirectGatewayOptions): WebGateway {
  knownKeys(options, ['caller', 'breaker', 'limiter', 'timeoutMs', 'windowMs', 'maxBodyBytes', 'clock'], 'directGateway');
  const { caller, breaker, limiter } = options;
  if (caller === null || typeof caller !== 'object' || typeof caller.call !== 'function') {
    throw new TypeError('directGateway: caller must have call() and methods()');
  }
  const timeoutMs = options.timeoutMs ?? 5000;
  if (!(timeoutMs > 0)) throw new RangeError(`directGateway: timeoutMs must be > 0, got ${timeoutMs}`);
  const maxBodyBytes = options.maxBodyBytes ?? 1 << 20;
  if (!(maxBodyBytes > 0)) throw new RangeError(`directGateway: maxBodyBytes must be > 0, got ${maxBodyBytes}`);
  const clock = options.clock ?? monotonicClock;
  const recent = new RecentCalls(options.windowMs ?? 60_000);

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    if (req.method !== 'POST') return reply(res, 405, { code: status.UNIMPLEMENTED, message: 'POST /rpc only', reason: 'bad_request' });
    let body: { service?: unknown; endpoint?: unknown; method?: unknown; request?: unknown };
    try {
      body = JSON.parse(await readBody(req, maxBodyBytes)) as typeof body;
    } catch (err) {
      if (err instanceof TooLarge) return reply(res, 413, { code: status.RESOURCE_EXHAUSTED, message: `the body is ${err.message}`, reason: 'bad_request' });
      return reply(res, 400, { code: status.INVALID_ARGUMENT, message: `the body is not JSON: ${(err as Error).message}`, reason: 'bad_request' });
    }
    const service = body?.service;
    const endpoint = body?.endpoint ?? body?.method;
    if (typeof service !== 'string' || service === '' || typeof endpoint !== 'string' || endpoint === '') {
      return reply(res, 400, { code: status.INVALID_ARGUMENT, message: 'the body needs "service" and "endpoint" strings', reason: 'bad_request' });
    }
    const parent = traceParent(req.headers.traceparent);
    const traceId = parent.traceId;
    const started = clock.now();
    try {
      const response = await context.with(trace.setSpanContext(context.active(), parent), () =>
        // The metadata carries the trace even when no OpenTelemetry SDK is installed (the wrapper then injects nothing).
        caller.call(service, endpoint, body.request ?? {}, { timeoutMs, metadata: { traceparent: format(parent) } }));
      recent.record(service, endpoint, clock.now() - started, true, clock.now());
      reply(res, 200, response, traceId);
    } catch (err) {
      recent.record(service, endpoint, clock.now() - started, false, clock.now());
      const e = err as { code?: unknown; details?: unknown; message?: unknown; reason?: unknown };
      const code = typeof e.code === 'number' ? e.code : status.UNKNOWN;
      reply(res, HTTP_STATUS[code] ?? 500, { code, message: String(e.details ?? e.message ?? err), reason: e.reason ?? null }, traceId);
    }
  };

  return {
    handle: (req, res) => handle(req, res).catch(() => { if (!res.headersSent) reply(res, 500, { code: status.INTERNAL, message: 'gateway failure', reason: null }); }),
    caller,
    breaker,
    limiter,
    stats: (): GatewayStats => ({ windowMs: recent.windowMs, endpoints: recent.snapshot(clock.now()) }),
  };
}

/** Google's gRPC → HTTP mapping (google/rpc/code.proto). */
const HTTP_STATUS: Readonly<Record<number, number>> = {
  0: 200, 1: 499, 2: 500, 3: 400, 4: 504, 5: 404, 6: 409, 7: 403, 8: 429, 9: 400, 10: 409, 11: 400, 12: 501, 13: 500,
  14: 503, 15: 500, 16: 401,
};

function reply(res: ServerResponse, httpStatus: number, body: unknown, traceId?: string): void {
  const headers: Record<string, string> = { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' };
  if (traceId !== undefined) headers['x-trace-id'] = traceId;
  res.writeHead(httpStatus, headers).end(JSON.stringify(body));
}

class TooLarge extends Error {}

function readBody(req: IncomingMessage, max: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > max) {
        reject(new TooLarge(`larger than ${max} bytes`));
        req.removeAllListeners('data');
        req.resume(); // drain, so the 413 can still be sent
      } else chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** The caller's W3C trace context, or a new sampled root: the call's spans and the reply share its trace id. */
function traceParent(header: string | string[] | undefined) {
  const m = typeof header === 'string' ? /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/.exec(header.trim()) : null;
  if (m && !/^0+$/.test(m[1]!) && !/^0+$/.test(m[2]!)) {
    return { traceId: m[1]!, spanId: m[2]!, traceFlags: parseInt(m[3]!, 16), isRemote: true };
  }
  return { traceId: randomBytes(16).toString('hex'), spanId: randomBytes(8).toString('hex'), traceFlags: TraceFlags.SAMPLED, isRemote: true };
}

function format(p: { traceId: string; spanId: string; traceFlags: number }): string {
  return `00-${p.traceId}-${p.spanId}-${p.traceFlags.toString(16).padStart(2, '0')}`;
}
