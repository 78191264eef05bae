import type { Tracer } from '@opentelemetry/api';
import type { Authorize } from './guard';
import { originSet } from './guard';
import { logToStderr, type ErrorLog } from './status';
import {
  type BreakerOptions,
  type ClientTlsOptions,
  type Clock,
  describe,
  knownKeys,
  type LeastLoadedOptions,
  positiveMs,
  type Registry,
  type RetryOptions,
  withMethod,
} from '../library';

export interface GatewayOptions {
  /** Where services are found. */
  registry: Registry;
  /** TLS to the services. Default: plaintext. */
  tls?: ClientTlsOptions;
  /** .proto files (and import paths) for services without server reflection. Default: reflection only. */
  protoFiles?: readonly string[];
  protoPaths?: readonly string[];
  /**
   * Deadline of a unary or client-streaming call. Default 5000. A request may ask for less with Micro API's
   * `Timeout` header, in seconds (`Timeout: 0.5`), never for more. Streams have no deadline unless a `Timeout` asks.
   */
  timeoutMs?: number;
  /** Largest request body accepted; a larger one is answered 413 without being read further. Default 1 MiB. */
  maxBodyBytes?: number;
  /** A request body must arrive within this long of its headers, else 408 (slow clients hold no socket for long). Default 10000. */
  bodyTimeoutMs?: number;
  /** `listen()` only: the request headers must arrive within this long of the connection, else 408. Default 10000. */
  headersTimeoutMs?: number;
  /**
   * A token bucket in front of every call (`rateLimit()`, one token per call, not per retry): `burst` defaults to a
   * tenth of a second's calls (at least 1); calls over it are answered 429 at once unless `wait` (default false). Default: none.
   */
  rateLimit?: { ratePerSecond: number; burst?: number; wait?: boolean };
  /** The breaker's options; its scope is always `node` (a failing node is ejected, the others keep serving). Default: breaker()'s. */
  breaker?: Omit<BreakerOptions, 'scope'>;
  /** The retry wrapper's options. Default: retry()'s (3 attempts; only what is safe to retry). */
  retry?: RetryOptions;
  /** Options of the stack's `leastLoaded()` balancer. Default: its defaults. */
  balancer?: LeastLoadedOptions;
  /** Tracer of the gateway's SERVER span and the calls' CLIENT spans. Default: `trace.getTracer('keel')`. */
  tracer?: Tracer;
  /** The window `stats()` covers. Default 60000. */
  statsWindowMs?: number;
  /** Time source of `stats()`. Default: monotonic `performance.now()`. */
  clock?: Clock;
  /**
   * Decides, before the body is read, whether a request may call: false answers 401. Default: every request
   * (bind to loopback, or put a token in front: `bearerToken(token)`, which `keel api --token` uses).
   * @example createGateway({ registry, authorize: (req) => req.headers['x-api-key'] === process.env.API_KEY })
   */
  authorize?: Authorize;
  /**
   * Origins whose pages may call through the gateway (`["https://app.example.com"]`). A browser request from
   * any other site (`Sec-Fetch-Site: cross-site` or `same-site`, or an `Origin` that is not the gateway's own
   * host) is answered 403. Requests without those headers (curl, programs) are not affected. Default: none.
   */
  allowedOrigins?: readonly string[];
  /**
   * Forward the caller's `Authorization` header to the services as metadata. Default true; false when that
   * header holds the gateway's own credential (`keel api --token` sets it false: a service must not learn the
   * gateway's token).
   */
  forwardAuthorization?: boolean;
  /** Only these services may be called (others: 404, without asking the registry). Default: every registered service. */
  services?: readonly string[];
  /**
   * Where the detail of a failure kept from the caller goes (an internal error, a node's address): the caller
   * gets its `errorId`. Default: one line on stderr.
   */
  onError?: ErrorLog;
}

export const GATEWAY_OPTIONS = ['registry', 'tls', 'protoFiles', 'protoPaths', 'timeoutMs', 'maxBodyBytes', 'bodyTimeoutMs', 'headersTimeoutMs',
  'rateLimit', 'breaker', 'retry', 'balancer', 'tracer', 'statsWindowMs', 'clock', 'authorize', 'allowedOrigins', 'services', 'onError', 'forwardAuthorization'];

/** The options with defaults applied, validated once: a bad value throws here, naming the option. */
export function resolveOptions(options: GatewayOptions) {
  if (typeof options !== 'object' || options === null) throw new TypeError(`createGateway: options must be an object, got ${describe(options)}`);
  knownKeys(options, GATEWAY_OPTIONS, 'createGateway');
  if (typeof options.registry !== 'object' || options.registry === null) throw new TypeError('createGateway: registry is required');
  const maxBodyBytes = options.maxBodyBytes ?? 1024 * 1024;
  if (!Number.isInteger(maxBodyBytes) || maxBodyBytes < 1) throw new RangeError(`createGateway: maxBodyBytes must be an integer >= 1, got ${describe(maxBodyBytes)}`);
  if (options.rateLimit !== undefined && (typeof options.rateLimit !== 'object' || options.rateLimit === null)) {
    throw new TypeError('createGateway: rateLimit must be { ratePerSecond, burst?, wait? }');
  }
  if (options.clock !== undefined) withMethod(options.clock, 'createGateway: clock', 'now');
  for (const fn of ['authorize', 'onError'] as const) {
    if (options[fn] !== undefined && typeof options[fn] !== 'function') throw new TypeError(`createGateway: ${fn} must be a function`);
  }
  const services = options.services;
  if (services !== undefined && (!Array.isArray(services) || services.some((s) => typeof s !== 'string' || s === ''))) {
    throw new TypeError('createGateway: services must be an array of service names');
  }
  const forwardAuthorization = options.forwardAuthorization ?? true;
  if (typeof forwardAuthorization !== 'boolean') throw new TypeError('createGateway: forwardAuthorization must be a boolean');
  return {
    forwardAuthorization,
    allowedOrigins: originSet(options.allowedOrigins),
    ...(options.authorize ? { authorize: options.authorize } : {}),
    ...(services ? { services: new Set(services) } : {}),
    log: options.onError ?? logToStderr,
    timeoutMs: positiveMs(options.timeoutMs ?? 5000, 'createGateway: timeoutMs'),
    maxBodyBytes,
    bodyTimeoutMs: positiveMs(options.bodyTimeoutMs ?? 10_000, 'createGateway: bodyTimeoutMs'),
    headersTimeoutMs: positiveMs(options.headersTimeoutMs ?? 10_000, 'createGateway: headersTimeoutMs'),
    statsWindowMs: positiveMs(options.statsWindowMs ?? 60_000, 'createGateway: statsWindowMs'),
  };
}
