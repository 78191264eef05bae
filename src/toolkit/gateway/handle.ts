import type { IncomingMessage, ServerResponse } from 'node:http';
import { status } from '@grpc/grpc-js';
import { context, type Tracer } from '@opentelemetry/api';
import { type Clock, isKeelError } from '../library';
import { isAborted, readBody } from './body';
import { checkAuthorized, refuseCrossSite, type Authorize } from './guard';
import { metadataFrom } from './metadata';
import type { DynamicCaller } from '../dynamic/caller';
import { sendError, sendJson, sendStream } from './respond';
import { matchRoute, pathRequest, rpcTarget, type Target } from './route';
import type { RollingStats } from './stats';
import { GatewayError, type ErrorLog } from './status';
import { endRequestSpan, startRequestSpan, traceHeaders } from './trace';

export interface ServeEnv {
  caller: DynamicCaller;
  stats: RollingStats;
  tracer: Tracer;
  clock: Clock;
  settings: {
    timeoutMs: number; maxBodyBytes: number; bodyTimeoutMs: number;
    allowedOrigins: ReadonlySet<string>; authorize?: Authorize; forwardAuthorization: boolean; services?: ReadonlySet<string>; log: ErrorLog;
  };
}

/**
 * One HTTP request, start to end: route, cross-site check, authorization, body, target, method kind, the call
 * (in the request's span), the answer. Every failure is answered here with its mapped status; a client that
 * went away is not answered, and its call is cancelled. Stats are kept only for methods the caller resolved
 * (named as the service describes them), so names a caller makes up never become entries, and not for the
 * gateway's own rate-limit refusals (no call was made; the limiter counts them).
 */
export async function serveRequest(env: ServeEnv, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const started = env.clock.now();
  env.stats.inFlight++;
  const abort = new AbortController();
  // The client hung up before the answer was sent: cancel the call (a stream stops at once).
  res.on('close', () => {
    if (!res.writableFinished) abort.abort();
  });
  const path = (req.url ?? '/').split('?')[0]!;
  const { span, active, traceparent } = startRequestSpan(env.tracer, req.headers, path === '/rpc' ? 'POST /rpc' : 'POST /{service}/{Service}/{Method}', path);
  let resolved: { service: string; endpoint: string } | undefined;
  let target: Target | undefined;
  let httpStatus = 500;
  let ok = false;
  // The gateway's own rate limit refused the call: no call was made, so it is no sample of the service.
  let refusedHere = false;
  try {
    traceHeaders(span, res);
    const route = matchRoute(req.method, req.url);
    refuseCrossSite(req.headers, env.settings.allowedOrigins);
    if (env.settings.authorize !== undefined) await checkAuthorized(env.settings.authorize, req);
    const body = await readBody(req, env.settings.maxBodyBytes, env.settings.bodyTimeoutMs);
    const contentType = req.headers['content-type'];
    target = route.kind === 'rpc' ? rpcTarget(body, contentType) : { service: route.service, endpoint: route.endpoint, request: pathRequest(body, contentType) };
    const { service, endpoint, request } = target;
    if (env.settings.services !== undefined && !env.settings.services.has(service)) {
      throw new GatewayError(404, status.NOT_FOUND, 'unknown_service', `this gateway serves ${[...env.settings.services].join(', ')} only`);
    }
    const timeoutMs = requestTimeout(req.headers.timeout, env.settings.timeoutMs);
    const method = await context.with(active, () => env.caller.method(service, endpoint, abort.signal));
    resolved = method;
    const streamsIn = method.kind === 'client_stream' || method.kind === 'bidi';
    if (streamsIn !== Array.isArray(request)) {
      throw new GatewayError(400, status.INVALID_ARGUMENT, 'bad_request', streamsIn
        ? `${method.endpoint} is ${method.kind === 'bidi' ? 'bidi' : 'client'}-streaming: the request must be a JSON array of messages`
        : `${method.endpoint} takes one request message: a JSON object, not an array`);
    }
    const metadata = metadataFrom(req.headers);
    if (!env.settings.forwardAuthorization) delete metadata.authorization;
    if (traceparent !== undefined) metadata.traceparent = traceparent;
    if (method.kind === 'unary' || method.kind === 'client_stream') {
      const response = await context.with(active, () => env.caller.call(service, endpoint, request, { timeoutMs: timeoutMs ?? env.settings.timeoutMs, metadata, signal: abort.signal }));
      httpStatus = sendJson(res, 200, response);
      ok = true;
    } else {
      // Streams run as long as they last (the client may hang up), unless the request asked for a Timeout.
      const messages = context.with(active, () => env.caller.stream(service, endpoint, request, { ...(timeoutMs !== undefined ? { timeoutMs } : {}), metadata, signal: abort.signal }));
      ({ httpStatus, ok } = await sendStream(res, messages, env.settings.log));
    }
  } catch (err) {
    if (isAborted(err) || abort.signal.aborted) {
      httpStatus = 499;
      res.destroy();
    } else {
      // A refusal before the body was read leaves it unread: close the connection instead of reading it.
      refusedHere = isKeelError(err, 'rate_limited') && err.origin === 'local';
      const close = !req.complete;
      httpStatus = sendError(res, err, close, env.settings.log);
      if (close) res.once('finish', () => req.destroy());
    }
  } finally {
    env.stats.inFlight--;
    env.stats.answer(httpStatus);
    if (resolved !== undefined && !refusedHere) env.stats.record(resolved.service, resolved.endpoint, env.clock.now() - started, ok);
    endRequestSpan(span, httpStatus, target?.service, target?.endpoint);
  }
}

/** Micro API's `Timeout` header, in seconds (`0.25` allowed); never longer than the gateway's own timeout. */
function requestTimeout(header: string | string[] | undefined, maxMs: number): number | undefined {
  if (header === undefined) return undefined;
  const seconds = Number(Array.isArray(header) ? header[0] : header);
  if (!Number.isFinite(seconds) || seconds <= 0) {
    throw new GatewayError(400, status.INVALID_ARGUMENT, 'bad_request', 'the Timeout header must be a positive number of seconds');
  }
  return Math.min(seconds * 1000, maxMs);
}
