import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { status } from '@grpc/grpc-js';
import { trace } from '@opentelemetry/api';
import { breaker as makeBreaker, type BreakerWrapper } from '../../../wrappers/breaker';
import { rateLimit as makeRateLimit, type RateLimitWrapper } from '../../../wrappers/rate-limit';
import { retry as makeRetry } from '../../../wrappers/retry';
import { roundRobin } from '../../../wrappers/round-robin';
import { tracing } from '../../../wrappers/tracing';
import { formatHostPort } from '../../address';
import { wrapClient } from '../../compose';
import { monotonicClock } from '../../registry/registry';
import { DynamicCaller } from '../dynamic/caller';
import { serveRequest } from './handle';
import { resolveOptions, type GatewayOptions } from './options';
import { RollingStats, type GatewayStats } from './stats';
import { errorResponse, GatewayError } from './status';

/** The HTTP API gateway: Micro API's `/rpc` and path routing onto keel calls. See `createGateway`. */
export interface Gateway {
  /** Serves one request: mount it in any node HTTP server (`http.createServer(gateway.handle)`). Never throws. */
  handle(req: IncomingMessage, res: ServerResponse): void;
  /** Starts its own HTTP server on `host:port` (`:8080`: every interface); resolves to the bound `host:port`. */
  listen(address: string): Promise<string>;
  /** Stops the server (open connections are closed) and the caller. */
  close(): Promise<void>;
  /** The caller every request goes through (resolving methods, calling with JSON). */
  readonly caller: DynamicCaller;
  /** The node-scope breaker in the stack: `circuits()` is each node's state, for the dashboard. */
  readonly breaker: BreakerWrapper;
  /** The rate limiter, when `rateLimit` is set. */
  readonly limiter?: RateLimitWrapper;
  /** Recent traffic per endpoint (latency percentiles, error rates) over the stats window. */
  stats(): GatewayStats;
}

/**
 * An HTTP gateway in front of the registered services, after Micro API: `POST /rpc` with
 * `{ "service": "basis", "endpoint": "Basis.Hello", "request": { "name": "John" } }` (or the form-encoded
 * `service=…&method=…&request=<json>`), and `POST /basis/Basis/Hello` with the request as the body. Methods are
 * resolved by server reflection (or `protoFiles`); server-streaming answers are newline-delimited JSON. Every
 * call goes through `wrapClient(rateLimit (when set), retry(), roundRobin(), breaker({ scope: 'node' }), tracing())`,
 * with the caller's `traceparent` continued. gRPC statuses map to HTTP statuses as Google's API guidelines do;
 * failures answer `{ code, status, message, reason }`.
 * @example const gateway = createGateway({ registry: localRegistry() }); await gateway.listen('127.0.0.1:8080');
 */
export function createGateway(options: GatewayOptions): Gateway {
  const settings = resolveOptions(options);
  const limiter = options.rateLimit === undefined ? undefined
    : makeRateLimit(options.rateLimit.ratePerSecond, { burst: options.rateLimit.burst ?? Math.max(1, Math.ceil(options.rateLimit.ratePerSecond / 10)), wait: options.rateLimit.wait ?? false });
  const breaker = makeBreaker({ ...options.breaker, scope: 'node' });
  const tracer = options.tracer ?? trace.getTracer('keel');
  const wrap = wrapClient(...(limiter ? [limiter] : []), makeRetry(options.retry), roundRobin(), breaker, tracing({ tracer }));
  const caller = new DynamicCaller({
    registry: options.registry, wrap, timeoutMs: settings.timeoutMs,
    ...(options.tls ? { tls: options.tls } : {}), ...(options.protoFiles ? { protoFiles: options.protoFiles } : {}),
    ...(options.protoPaths ? { protoPaths: options.protoPaths } : {}),
  });
  const stats = new RollingStats(options.clock ?? monotonicClock, settings.statsWindowMs);
  const env = { caller, stats, tracer, settings, clock: options.clock ?? monotonicClock };
  let server: Server | undefined;
  const sockets = new Set<Socket>();

  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    serveRequest(env, req, res).catch((err: unknown) => {
      // serveRequest answers its own failures; this is the last guard, so one request can never take the process down.
      try {
        const { httpStatus, body } = errorResponse(err);
        if (!res.headersSent && !res.destroyed) res.writeHead(httpStatus, { 'content-type': 'application/json' }).end(JSON.stringify(body));
        else res.destroy();
      } catch {
        res.destroy();
      }
    });
  };

  return {
    handle,
    caller,
    breaker,
    ...(limiter ? { limiter } : {}),
    stats: () => stats.snapshot(),
    listen(address) {
      if (server !== undefined) return Promise.reject(new Error('gateway: already listening'));
      const { host, port } = parseListenAddress(address);
      const s = createServer({
        headersTimeout: settings.headersTimeoutMs,
        // A backstop behind bodyTimeoutMs, which answers first (with a JSON body).
        requestTimeout: settings.headersTimeoutMs + settings.bodyTimeoutMs + 5000,
        // How often node checks those two timeouts (default 30 s): often enough that they mean what they say.
        connectionsCheckingInterval: Math.min(1000, settings.headersTimeoutMs / 2),
      }, handle);
      server = s;
      s.on('connection', (socket: Socket) => {
        sockets.add(socket);
        socket.on('close', () => sockets.delete(socket));
      });
      s.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => answerClientError(err, socket));
      return new Promise((resolve, reject) => {
        s.once('error', reject);
        s.listen(port, host === '' ? undefined : host, () => {
          s.off('error', reject);
          const bound = s.address();
          resolve(typeof bound === 'object' && bound !== null ? formatHostPort(host === '' ? bound.address : host, bound.port) : address);
        });
      });
    },
    async close() {
      const s = server;
      server = undefined;
      if (s !== undefined) {
        const closed = new Promise<void>((resolve) => s.close(() => resolve()));
        for (const socket of sockets) socket.destroy();
        await closed;
      }
      await Promise.all([caller.close(), limiter?.close()]);
    },
  };
}

/** `host:port`, `:port` (every interface, like Micro's `:8080`), `[::1]:port`; port 0 picks a free one. */
export function parseListenAddress(address: string): { host: string; port: number } {
  const match = typeof address === 'string' ? /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]\s]*)):(\d{1,5})$/.exec(address) : null;
  const port = match ? Number(match[3]) : NaN;
  if (!match || port > 65535) throw new RangeError(`gateway: the address must be "host:port" or ":port", got ${JSON.stringify(address)}`);
  return { host: match[1] ?? match[2] ?? '', port };
}

/**
 * A request node's parser refused (headers too slow, too large, malformed): answered like every other
 * failure, with a JSON body, then the connection is closed.
 */
function answerClientError(err: NodeJS.ErrnoException, socket: Socket): void {
  const [code, text] = err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? [408, 'Request Timeout']
    : err.code === 'HPE_HEADER_OVERFLOW' ? [431, 'Request Header Fields Too Large'] : [400, 'Bad Request'];
  if (!socket.writable || err.code === 'ECONNRESET') {
    socket.destroy();
    return;
  }
  const reason = code === 408 ? 'headers_timeout' : code === 431 ? 'headers_too_large' : 'bad_request';
  const { body } = errorResponse(new GatewayError(code, code === 408 ? status.DEADLINE_EXCEEDED : status.INVALID_ARGUMENT, reason,
    code === 408 ? 'the request headers did not arrive in time' : `the request could not be parsed (${err.code ?? 'unknown'})`));
  const json = JSON.stringify(body);
  socket.end(`HTTP/1.1 ${code} ${text}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(json)}\r\nconnection: close\r\n\r\n${json}`);
}

