import { randomUUID } from 'node:crypto';
import { Server, type ServerCredentials, type ChannelOptions, type MethodDefinition, type UntypedServiceImplementation } from '@grpc/grpc-js';
import { formatHostPort, parseHostPort } from '../address';
import { kindOf, type Handler, type HandlerWrapper, type MethodInfo } from '../call/contract';
import { knownKeys, nonEmptyString, nonNegativeMs, positiveMs, stringRecord } from '../options';
import { registryFromEnv } from '../registry/from-env';
import type { Registry, ServiceNode } from '../registry/registry';
import { methodsOf, serviceOf, type ServiceDef } from '../service-def';
import { serverCredentials, type ServerTlsOptions } from '../tls';
import type { Implementation } from '../typing';
import { advertiseHost } from './advertise';
import { eagerServerStreams } from './eager-server-stream';
import { endpointsOf } from './endpoints';
import { goMicroPath } from './go-micro-paths';
import { startUnlessGone } from './gone';
import { applyStreamResetLimit, streamResetLimit, type StreamResetLimit } from './stream-resets';
import { nodeMetadata } from './node-metadata';
import { Registration } from './registration';
import { GRPC_KIND, serve, type GrpcHandler } from './serve';
import { stopOnSignals } from './signals';
import { SELF_REPORT_OPTIONS, SelfReport, type SelfReportOptions } from './self-report';
import type { ServingStatus } from './health';
import { SERVER_KEEPALIVE } from '../keepalive';
import { reportServerStarted } from '../tracing/process-node';

export interface ServerOptions extends SelfReportOptions {
  /** The name clients look up, e.g. `basis`. Required. */
  name: string;
  /** Registered with the node. Default `latest`. */
  version?: string;
  /** `host:port` to bind. Default: env `MICRO_SERVER_ADDRESS`, else `127.0.0.1:0` (a free port). */
  address?: string;
  /** `host:port` to register instead of the bound address (NAT, containers). Default: the bound address. */
  advertise?: string;
  /** Default: `registryFromEnv()`. */
  registry?: Registry;
  /** TTL of the registration. Default 30000. */
  registerTtlMs?: number;
  /** How often the registration is refreshed; must be below the TTL. Default 10000. */
  registerIntervalMs?: number;
  /**
   * Registered with the node, over go-micro's standard keys (`protocol`, `server`, `transport`: `grpc`;
   * `registry`: the registry's kind; `broker`: `none`), which these override.
   */
  metadata?: Record<string, string>;
  /** Handler wrappers, from `wrapHandler(...)`. */
  wrap?: HandlerWrapper;
  /** On stop, time between deregistering and refusing new calls, so clients hear of it first. Default 250. */
  drainDelayMs?: number;
  /** On stop, how long in-flight calls may take before they are cancelled. Default 10000. */
  graceMs?: number;
  /** TLS, or mutual TLS when `tls.ca` is given. See `ServerTlsOptions`. Default: none. */
  tls?: ServerTlsOptions;
  /** grpc-js server credentials, for what `tls` does not cover; not with `tls`. Default: insecure. */
  credentials?: ServerCredentials;
  /**
   * grpc-js server options, over keel's keepalive defaults (`SERVER_KEEPALIVE`). Leave `grpc.enable_channelz`
   * on: grpc-js 1.14's forced shutdown finds the connections to close only through it (see src/grpc-defaults.ts).
   */
  serverOptions?: ChannelOptions;
  /**
   * Streams (calls) one client connection may have open at once: HTTP/2's SETTINGS_MAX_CONCURRENT_STREAMS,
   * grpc-js's `grpc.max_concurrent_streams`. One connection opening 10,000 streams cost 130 MB; past this cap
   * a client's further calls wait in its own queue until one ends (grpc-js and Go clients both queue), so keep
   * it above the long-lived streams one client holds open to one node. Default 1000 (Go's net/http: 250;
   * grpc-go and Envoy: no limit).
   */
  maxConcurrentStreams?: number;
  /**
   * Streams a client may reset (cancel) per connection before the server closes the connection with
   * GOAWAY(INTERNAL_ERROR): nghttp2's rapid-reset mitigation, see `StreamResetLimit`. Node >= 22 (Node 20
   * keeps nghttp2's 1000 then 33/s). Default `{ burst: 10000, perSecond: 1000 }`.
   */
  streamResetLimit?: StreamResetLimit;
  /** Background failures (registration refresh). Default: logged with `logger`. */
  onError?: (err: Error) => void;
}

export interface KeelServer {
  /** This process's node id, `<name>-<uuid>`. */
  readonly id: string;
  readonly name: string;
  /** The registered node, once started. */
  readonly node: ServiceNode | undefined;
  addService<D extends ServiceDef>(def: D, implementation: Implementation<D>): KeelServer;
  /** Binds, registers, and keeps the registration fresh. */
  start(): Promise<{ id: string; address: string }>;
  /** NOT_SERVING at once, deregisters, lets in-flight calls finish (up to `graceMs`), then closes. */
  stop(): Promise<void>;
  /**
   * The application's readiness, as grpc.health.v1 reports it: `service` is `""` (the whole server) or a
   * full service name (`pkg.Service`). `start()` sets SERVING on all but what was set here; once `stop()`
   * has begun everything stays NOT_SERVING.
   */
  setStatus(service: string, status: ServingStatus): void;
}

const OPTIONS = ['name', 'version', 'address', 'advertise', 'registry', 'registerTtlMs', 'registerIntervalMs', 'metadata',
  'wrap', 'drainDelayMs', 'graceMs', 'credentials', 'tls', 'serverOptions', 'maxConcurrentStreams', 'streamResetLimit', 'onError',
  ...SELF_REPORT_OPTIONS];

/** `maxConcurrentStreams` unless given. */
export const DEFAULT_MAX_CONCURRENT_STREAMS = 1000;

/**
 * Creates a gRPC server that registers itself under `name`.
 * @example
 * const server = createServer({ name: 'basis' });
 * server.addService(Basis.service, { Hello: async ({ name }) => ({ msg: `Hello ${name}` }) });
 * await server.start();
 */
export function createServer(options: ServerOptions): KeelServer {
  if (typeof options !== 'object' || options === null) throw new TypeError('createServer: options with a name are required');
  knownKeys(options, OPTIONS, 'createServer');
  const name = nonEmptyString(options.name, 'createServer: name');
  const version = options.version ?? 'latest';
  if (typeof version !== 'string') throw new TypeError('createServer: version must be a string');
  const rawAddress = options.address ?? (process.env.MICRO_SERVER_ADDRESS?.trim() || '127.0.0.1:0');
  // go-micro writes `:8080` for "all interfaces".
  const bind = parseHostPort(rawAddress.startsWith(':') ? `0.0.0.0${rawAddress}` : rawAddress, 'createServer: address', true);
  const advertise = options.advertise === undefined ? undefined : parseHostPort(options.advertise, 'createServer: advertise');
  const ttlMs = positiveMs(options.registerTtlMs ?? 30_000, 'createServer: registerTtlMs');
  const intervalMs = positiveMs(options.registerIntervalMs ?? 10_000, 'createServer: registerIntervalMs');
  if (intervalMs >= ttlMs) {
    throw new RangeError(`createServer: registerIntervalMs (${intervalMs}) must be below registerTtlMs (${ttlMs}), or the node expires between refreshes`);
  }
  const metadata = stringRecord(options.metadata, 'createServer: metadata');
  const drainDelayMs = nonNegativeMs(options.drainDelayMs ?? 250, 'createServer: drainDelayMs');
  const graceMs = positiveMs(options.graceMs ?? 10_000, 'createServer: graceMs');
  if (options.wrap !== undefined && typeof options.wrap !== 'function') {
    throw new TypeError('createServer: wrap must be the result of wrapHandler(...)');
  }
  const report = new SelfReport(options, name);
  const onError = options.onError ?? ((err: Error) => report.log('error', `keel: ${name}: ${err.message}`, { err }));
  const registry = options.registry ?? registryFromEnv();
  const credentials = serverCredentials(options.tls, options.credentials);

  const id = `${name}-${randomUUID()}`;
  const maxStreams = options.maxConcurrentStreams;
  if (maxStreams !== undefined && (!Number.isInteger(maxStreams) || maxStreams < 1 || maxStreams > 2 ** 31 - 1)) {
    throw new RangeError(`createServer: maxConcurrentStreams must be an integer from 1 to 2^31-1, got ${String(maxStreams)}`);
  }
  const resets = streamResetLimit(options.streamResetLimit, 'createServer: streamResetLimit');
  const grpcServer = new Server({
    ...SERVER_KEEPALIVE,
    'grpc.max_concurrent_streams': DEFAULT_MAX_CONCURRENT_STREAMS,
    ...options.serverOptions,
    ...(maxStreams !== undefined ? { 'grpc.max_concurrent_streams': maxStreams } : {}),
  });
  if (!applyStreamResetLimit(grpcServer, resets)) {
    report.log('warn', `keel: ${name}: this grpc-js does not take the stream reset limit; nghttp2's default applies (see streamResetLimit)`);
  }
  let registration: Registration | undefined;
  let starting: Promise<{ id: string; address: string }> | undefined;
  let stopping: Promise<void> | undefined;
  let unlisten: (() => void) | undefined;
  const served: MethodDefinition<unknown, unknown>[] = [];

  const server: KeelServer = {
    id,
    name,
    get node() {
      return registration?.node;
    },
    addService(def, implementation) {
      if (starting !== undefined) throw new Error('addService: the server has already started');
      const handlers = adapt({ name, id }, def, implementation as Implementation, options.wrap, report);
      const service = report.addService(serviceOf(def, 'addService: def'));
      grpcServer.addService(eagerServerStreams(service), handlers);
      for (const key of Object.keys(handlers)) served.push(service[key] as MethodDefinition<unknown, unknown>);
      // go-micro clients address methods by the registry name: answer there too (see goMicroPath).
      for (const [key, handler] of Object.entries(handlers)) {
        const method = service[key] as MethodDefinition<unknown, unknown>;
        const alias = goMicroPath(name, method.path);
        if (alias !== undefined) {
          grpcServer.register(alias, handler as GrpcHandler as never, method.responseSerialize, method.requestDeserialize, GRPC_KIND[kindOf(method)]);
        }
      }
      return server;
    },
    start() {
      if (stopping !== undefined) return Promise.reject(new Error('start: the server was stopped'));
      return (starting ??= (async () => {
        report.install(grpcServer);
        const port = await new Promise<number>((resolve, reject) =>
          grpcServer.bindAsync(formatHostPort(bind.host, bind.port), credentials,
            (err, bound) => (err ? reject(err) : resolve(bound))));
        const address = advertise ? formatHostPort(advertise.host, advertise.port) : formatHostPort(advertiseHost(bind.host), port);
        report.listening(id, address);
        const node: ServiceNode = { id, name, version, address, metadata: nodeMetadata(registry.kind, metadata), endpoints: endpointsOf(served) };
        reportServerStarted(node); // the tracing setup's service.instance.id (see src/tracing/process-node.ts)
        const candidate = new Registration({ registry, node, ttlMs, intervalMs, onError });
        try {
          await candidate.start();
        } catch (err) {
          grpcServer.forceShutdown();
          throw new Error(`start: registering ${id} in the ${registry.kind} registry failed: ${(err as Error).message}`);
        }
        registration = candidate;
        report.registered(id, registry.kind);
        if (options.stopOnSignals === true && stopping === undefined) unlisten = stopOnSignals(server, { logger: options.logger });
        return { id, address };
      })());
    },
    stop() {
      return (stopping ??= (async () => {
        report.stopping(id);
        unlisten?.();
        await starting?.catch(() => undefined);
        await registration?.stop();
        if (registration !== undefined && drainDelayMs > 0) await new Promise((r) => setTimeout(r, drainDelayMs));
        report.draining(id, graceMs);
        const forced = await new Promise<boolean>((resolve) => {
          const force = setTimeout(() => {
            grpcServer.forceShutdown();
            resolve(true);
          }, graceMs);
          grpcServer.tryShutdown(() => {
            clearTimeout(force);
            resolve(false);
          });
        });
        report.stopped(id, forced);
      })());
    },
    setStatus(service, status) {
      report.setStatus(service, status);
    },
  };
  return server;
}

/** Turns `{ Hello: (req, ctx) => … }` into grpc-js handlers running through the handler wrappers, per method. */
function adapt(server: { name: string; id: string }, def: ServiceDef, implementation: Implementation, wrap: HandlerWrapper | undefined,
  report: SelfReport): UntypedServiceImplementation {
  if (typeof implementation !== 'object' || implementation === null) {
    throw new TypeError('addService: implementation must be an object of functions');
  }
  const methods = methodsOf(def, 'addService: def');
  const known = new Set(methods.flatMap((m) => m.names));
  for (const [key, fn] of Object.entries(implementation)) {
    if (!known.has(key)) throw new TypeError(`addService: "${key}" is not a method of this service (methods: ${methods.map((m) => m.key).join(', ')})`);
    if (typeof fn !== 'function') throw new TypeError(`addService: implementation.${key} must be a function`);
  }
  const out: UntypedServiceImplementation = {};
  for (const { key, names, definition } of methods) {
    const fn = names.map((n) => implementation[n]).find((f) => f !== undefined);
    if (fn === undefined) continue; // grpc-js answers UNIMPLEMENTED
    const info: MethodInfo = { service: server.name, method: definition.path, kind: kindOf(definition), definition };
    // Innermost, under the wrappers: a call whose caller went while a wrapper held it is not started.
    const base: Handler = startUnlessGone(fn);
    const handler = wrap ? wrap(base, info) : base;
    if (typeof handler !== 'function') throw new TypeError('createServer: wrap returned something that is not a handler');
    const serialize = definition.responseSerialize;
    const sizeOf = info.kind === 'server_stream' || info.kind === 'bidi' ? (message: unknown) => serialize(message).length : undefined;
    out[key] = serve(server, info.method, info.kind, handler, report.fail, sizeOf) as never;
  }
  return out;
}
