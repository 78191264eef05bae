import type { Tracer } from '@opentelemetry/api';
import { type ClientTlsOptions, type ClientWrapper, describe, knownKeys, positiveMs, type Registry } from '../library';
import type { Authorize } from '../gateway/guard';
import type { ErrorLog } from '../gateway/status';

export interface McpGatewayOptions {
  /** Where services are found; every method of every service (or of `services`) becomes a tool. */
  registry: Registry;
  /**
   * The allow-list: only these registered services become tools (an entry ending in `*` is a prefix:
   * `shop.*`). Default: every service the registry lists.
   */
  services?: readonly string[];
  /**
   * The wrappers every tool call goes through. Default: keel's recommended client stack,
   * `wrapClient(rateLimit (when set), retry(), leastLoaded(), breaker({ scope: 'node' }), tracing())` — without a
   * per-attempt `timeout()`, which is chosen per method (above its p99): the tool's deadline (`timeoutMs`) bounds the call.
   */
  wrap?: ClientWrapper;
  /**
   * A token bucket in front of every tool call (`rateLimit()`), an agent in a loop cannot flood the services:
   * `burst` defaults to a tenth of a second's calls (at least 1); a call over it is a tool error
   * (RESOURCE_EXHAUSTED, `rate_limited`) at once. Only with the default stack. Default: none.
   */
  rateLimit?: { ratePerSecond: number; burst?: number };
  /** TLS to the services. Default: plaintext. */
  tls?: ClientTlsOptions;
  /** .proto files (and import paths) for services without server reflection. Default: reflection only. */
  protoFiles?: readonly string[];
  protoPaths?: readonly string[];
  /** Deadline of every tool call, streams included. Default 10000. */
  timeoutMs?: number;
  /** A server stream is collected up to this many messages, then cancelled (the result says so). Default 100. */
  maxStreamMessages?: number;
  /** Services described into tools, at most (the others are left out until some go). Default 256. */
  maxServices?: number;
  /** How often the registry's service list is read; nodes of known services update at once. Default 1000. */
  pollMs?: number;
  /**
   * HTTP only: decides, before anything is read, whether a request may use the gateway — as the API gateway's
   * `authorize` (`bearerToken(token)`, which `keel mcp --token` uses); false answers 401. Default: every request
   * (listen on loopback, or set one).
   */
  authorize?: Authorize;
  /**
   * Where the detail of a failure kept from the agent goes (an internal error, a node's address): the tool error
   * carries its `errorId`, as the API gateway's answers do. Default: one line on stderr (never stdout, the stdio transport).
   */
  onError?: ErrorLog;
  /** HTTP only: sessions kept at once; a new one over it is answered 503. Default 64. */
  maxSessions?: number;
  /** HTTP only: a session unused for this long is closed. Default 1800000 (30 minutes). */
  sessionIdleMs?: number;
  /** HTTP only: largest request body (413 over it). Default 1 MiB. */
  maxBodyBytes?: number;
  /** Tracer of each tool call's span (its trace id is in every error). Default: `trace.getTracer('keel')`. */
  tracer?: Tracer;
}

export const MCP_OPTIONS = ['registry', 'services', 'wrap', 'rateLimit', 'tls', 'protoFiles', 'protoPaths', 'timeoutMs', 'maxStreamMessages', 'maxServices',
  'pollMs', 'authorize', 'onError', 'maxSessions', 'sessionIdleMs', 'maxBodyBytes', 'tracer'];

export interface McpSettings {
  allow: (service: string) => boolean;
  timeoutMs: number;
  maxStreamMessages: number;
  maxServices: number;
  pollMs: number;
  maxSessions: number;
  sessionIdleMs: number;
  maxBodyBytes: number;
}

/** The options with defaults applied, validated once: a bad value throws here, naming the option. */
export function resolveMcpOptions(options: McpGatewayOptions): McpSettings {
  if (typeof options !== 'object' || options === null) throw new TypeError(`createMcpGateway: options must be an object, got ${describe(options)}`);
  knownKeys(options, MCP_OPTIONS, 'createMcpGateway');
  if (typeof options.registry !== 'object' || options.registry === null || typeof options.registry.watch !== 'function') {
    throw new TypeError('createMcpGateway: registry must be a keel Registry');
  }
  if (typeof (options.registry as { listServices?: unknown }).listServices !== 'function') {
    throw new TypeError(`createMcpGateway: the ${options.registry.kind} registry has no listServices()`);
  }
  if (options.rateLimit !== undefined && (typeof options.rateLimit !== 'object' || options.rateLimit === null)) {
    throw new TypeError('createMcpGateway: rateLimit must be { ratePerSecond, burst? }');
  }
  if (options.rateLimit !== undefined && options.wrap !== undefined) {
    throw new TypeError('createMcpGateway: rateLimit is part of the default stack; with wrap, put rateLimit() first in it');
  }
  for (const fn of ['authorize', 'onError'] as const) {
    if (options[fn] !== undefined && typeof options[fn] !== 'function') throw new TypeError(`createMcpGateway: ${fn} must be a function`);
  }
  const count = (name: keyof McpGatewayOptions, dflt: number): number => {
    const v = options[name] ?? dflt;
    if (!Number.isInteger(v) || (v as number) < 1) throw new RangeError(`createMcpGateway: ${name} must be an integer >= 1, got ${describe(v)}`);
    return v as number;
  };
  return {
    allow: allowList(options.services),
    timeoutMs: positiveMs(options.timeoutMs ?? 10_000, 'createMcpGateway: timeoutMs'),
    maxStreamMessages: count('maxStreamMessages', 100),
    maxServices: count('maxServices', 256),
    pollMs: positiveMs(options.pollMs ?? 1000, 'createMcpGateway: pollMs'),
    maxSessions: count('maxSessions', 64),
    sessionIdleMs: positiveMs(options.sessionIdleMs ?? 30 * 60_000, 'createMcpGateway: sessionIdleMs'),
    maxBodyBytes: count('maxBodyBytes', 1024 * 1024),
  };
}

function allowList(services: readonly string[] | undefined): (service: string) => boolean {
  if (services === undefined) return () => true;
  if (!Array.isArray(services) || services.some((s) => typeof s !== 'string' || s.trim() === '')) {
    throw new TypeError('createMcpGateway: services must be an array of service names (a trailing * matches a prefix)');
  }
  const exact = new Set(services.filter((s) => !s.endsWith('*')));
  const prefixes = services.filter((s) => s.endsWith('*')).map((s) => s.slice(0, -1));
  return (service) => exact.has(service) || prefixes.some((p) => service.startsWith(p));
}
