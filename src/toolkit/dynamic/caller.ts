import { Metadata, status } from '@grpc/grpc-js';
import { Root, type Type } from 'protobufjs';
import 'protobufjs/ext/descriptor'; // adds Root.fromDescriptor
import {
  breaker,
  clientChannel,
  type ClientWrapper,
  closeClient,
  createClient,
  grpcNodes,
  isKeelError,
  keelError,
  knownKeys,
  leastLoaded,
  positiveMs,
  retry,
  tracing,
  wrapClient,
} from '../library';
import { findMethod, methodsIn, type ResolvedMethod } from './catalog';
import { applySourceComments } from './comments';
import { restoreMapFields } from './map-fields';
import { definitionOf } from './definition';
import { encodeJson } from './json-codec';
import { loadProtoFiles } from './proto-files';
import { reflect } from './reflection-client';
import type { DynamicCallOptions, DynamicCallerOptions, DynamicMethod } from './types';
import { isToolkitError, toolkitError } from '../errors';

/** How long a service's described methods are reused: a redeploy with new methods shows within this. */
const CATALOG_TTL_MS = 30_000;
/** How long describing a service may take (one reflection stream per node tried). */
const REFLECTION_TIMEOUT_MS = 5_000;
/** Nodes asked before giving up: a node that does not answer should not hide the others. */
const NODES_TRIED = 3;
/**
 * How long a failed describe is remembered (its error answered again): a node whose reflection fails or
 * overflows is asked again at most this often, however many requests name it. Also the least age of a
 * catalog read again for a method it lacks (a redeploy), so made-up method names cannot force describes.
 */
const FAILURE_TTL_MS = 2_000;


type AnyClient = Record<string, (request: unknown, options?: object) => unknown>;

/**
 * Calls any method of any registered service with JSON, knowing nothing in advance: the methods come from
 * a node's server reflection (or the `protoFiles` fallback), and every call goes through a keel client with
 * the usual wrappers (node from the registry, retries, breaker, tracing). The CLI's `call`, the gateway and
 * the dashboard all call through one of these.
 */
export class DynamicCaller {
  /** The wrappers every call goes through (the dashboard reads the breaker's state through its own stack). */
  readonly wrap: ClientWrapper;
  private readonly options: DynamicCallerOptions;
  private readonly timeoutMs: number;
  private readonly protoRoot: Root | undefined;
  private readonly catalogs = new Map<string, { at: number; ttlMs: number; methods: Promise<ResolvedMethod[]> }>();
  private readonly limits: { files: number; bytes: number };
  private readonly clients = new Map<string, AnyClient>();
  /** The catalog each resolved method came from: the client of its proto service serves all its methods. */
  private readonly catalogOf = new WeakMap<ResolvedMethod, readonly ResolvedMethod[]>();
  /** The client each resolved method last used: the per-call path skips building the key. */
  private readonly clientOf = new WeakMap<ResolvedMethod, AnyClient>();
  private closed = false;

  constructor(options: DynamicCallerOptions) {
    if (options === null || typeof options !== 'object') throw new TypeError('DynamicCaller: options must be an object');
    knownKeys(options, ['registry', 'wrap', 'tls', 'protoFiles', 'protoPaths', 'timeoutMs', 'maxReflectionFiles', 'maxReflectionBytes'], 'DynamicCaller');
    if (typeof options.registry?.getService !== 'function') throw new TypeError('DynamicCaller: registry must be a keel Registry');
    if (options.wrap !== undefined && typeof options.wrap !== 'function') throw new TypeError('DynamicCaller: wrap must be the result of wrapClient(...)');
    this.options = options;
    this.timeoutMs = positiveMs(options.timeoutMs ?? 5000, 'DynamicCaller: timeoutMs', { allowInfinity: true });
    this.limits = {
      files: count(options.maxReflectionFiles ?? 1024, 'maxReflectionFiles'),
      bytes: count(options.maxReflectionBytes ?? 16 * 1024 * 1024, 'maxReflectionBytes'),
    };
    this.wrap = options.wrap ?? wrapClient(retry(), leastLoaded(), breaker({ scope: 'node' }), tracing());
    const files = options.protoFiles ?? [];
    if (!Array.isArray(files)) throw new TypeError('DynamicCaller: protoFiles must be an array of paths');
    this.protoRoot = files.length > 0 ? loadProtoFiles(files, options.protoPaths ?? []) : undefined;
  }

  /** Every method `service` offers (reflection from one of its nodes, else the proto files). */
  async methods(service: string, signal?: AbortSignal): Promise<DynamicMethod[]> {
    return (await this.catalog(service, signal)).map(publicView);
  }

  /**
   * Every method of `service` with its protobufjs types, for tools that derive more from the descriptors than
   * `methods()` shows (the MCP gateway's JSON Schemas). Cached as `methods()` is.
   */
  async resolvedMethods(service: string, signal?: AbortSignal): Promise<readonly ResolvedMethod[]> {
    return this.catalog(service, signal);
  }

  /** One method, by `Basis.Hello`, `keel.basis.Basis.Hello` or `keel.basis.Basis/Hello`. */
  async method(service: string, endpoint: string, signal?: AbortSignal): Promise<DynamicMethod> {
    return publicView(await this.resolve(service, endpoint, signal));
  }

  /** A unary call (client streaming: `request` is the array of requests). Resolves to the JSON response. */
  async call(service: string, endpoint: string, request: unknown, options: DynamicCallOptions = {}): Promise<unknown> {
    const m = await this.resolve(service, endpoint, options.signal);
    if (m.kind === 'server_stream' || m.kind === 'bidi') {
      throw toolkitError('bad_request', `${m.endpoint} streams its responses: use stream() (the gateway and the CLI print one JSON line per message)`);
    }
    return this.invoke(m, request, options) as Promise<unknown>;
  }

  /** A server-streaming call (bidi: `request` is the array of requests): the JSON responses as they come. */
  async *stream(service: string, endpoint: string, request: unknown, options: DynamicCallOptions = {}): AsyncIterable<unknown> {
    const m = await this.resolve(service, endpoint, options.signal);
    if (m.kind === 'unary' || m.kind === 'client_stream') {
      yield await (this.invoke(m, request, options) as Promise<unknown>);
      return;
    }
    yield* this.invoke(m, request, options) as AsyncIterable<unknown>;
  }

  /** Closes every client it opened. Calls after it fail with `closed`. */
  async close(): Promise<void> {
    this.closed = true;
    for (const client of this.clients.values()) closeClient(client);
    this.clients.clear();
    this.catalogs.clear();
  }

  private invoke(m: ResolvedMethod, request: unknown, options: DynamicCallOptions): unknown {
    const streamsIn = m.kind === 'client_stream' || m.kind === 'bidi';
    let body: unknown;
    if (streamsIn) {
      if (!Array.isArray(request)) throw toolkitError('bad_request', `${m.endpoint} takes a stream of requests: give a JSON array`);
      body = request.map((r, i) => encodeAt(m.requestType, r, `[${i}]`));
    } else body = encodeJson(m.requestType, request);
    const callOptions: Record<string, unknown> = { metadata: metadataOf(options.metadata) };
    if (options.timeoutMs !== undefined) callOptions.timeoutMs = positiveMs(options.timeoutMs, 'timeoutMs', { allowInfinity: true });
    else if (m.kind === 'unary') callOptions.timeoutMs = this.timeoutMs;
    if (options.signal !== undefined) callOptions.signal = options.signal;
    const client = this.clientFor(m);
    return client[m.name]!(body, callOptions);
  }

  private async resolve(service: string, endpoint: string, signal?: AbortSignal): Promise<ResolvedMethod> {
    try {
      return findMethod(await this.catalog(service, signal), service, endpoint);
    } catch (err) {
      // A redeploy may have added the method since the catalog was read: read again once (not a fresh one).
      if (!isToolkitError(err, 'unknown_method')) throw err;
      const cached = this.catalogs.get(service);
      if (cached !== undefined && performance.now() - cached.at < FAILURE_TTL_MS) throw err;
      this.catalogs.delete(service);
      return findMethod(await this.catalog(service, signal), service, endpoint);
    }
  }

  private catalog(service: string, signal?: AbortSignal): Promise<ResolvedMethod[]> {
    if (this.closed) return Promise.reject(keelError('closed', 'the dynamic caller was closed'));
    if (typeof service !== 'string' || service.trim() === '') return Promise.reject(toolkitError('bad_request', 'service: expected a registered service name'));
    const cached = this.catalogs.get(service);
    if (cached !== undefined && performance.now() - cached.at < cached.ttlMs) return cached.methods;
    const methods = this.describe(service, signal).then((found) => {
      for (const m of found) this.catalogOf.set(m, found);
      return found;
    });
    this.catalogs.set(service, { at: performance.now(), ttlMs: CATALOG_TTL_MS, methods });
    methods.catch((err: unknown) => {
      if (this.catalogs.get(service)?.methods !== methods) return;
      // No nodes yet, or this caller's cancel: asked again at once. A node that failed: briefly remembered.
      if (isKeelError(err) && (err.reason === 'no_nodes' || err.reason === 'cancelled' || err.reason === 'closed')) this.catalogs.delete(service);
      else this.catalogs.set(service, { at: performance.now(), ttlMs: FAILURE_TTL_MS, methods });
    });
    return methods;
  }

  private async describe(service: string, signal?: AbortSignal): Promise<ResolvedMethod[]> {
    const nodes = grpcNodes(await this.options.registry.getService(service));
    if (nodes.length === 0) throw keelError('no_nodes', `no nodes of ${service} are registered`);
    const { credentials, channelOptions } = clientChannel(this.options.tls, undefined, undefined, service);
    let failure: unknown;
    const budget = { ...this.limits }; // for the whole describe, every node tried
    for (const node of nodes.slice(0, NODES_TRIED)) {
      if (signal?.aborted) throw keelError('cancelled', 'describing the service was cancelled');
      try {
        const reflected = await reflect(node.address, credentials, channelOptions, Date.now() + REFLECTION_TIMEOUT_MS, budget);
        const root = (Root as unknown as { fromDescriptor(set: object): Root }).fromDescriptor({ file: [...reflected.files] });
        restoreMapFields(root);
        applySourceComments(root, reflected.files);
        const found = methodsIn(root, service, 'reflection', new Set(reflected.services));
        // Methods only the proto files describe (a service the node serves without reflection) come after.
        const extra = this.protoRoot === undefined ? [] : methodsIn(this.protoRoot, service, 'proto')
          .filter((p) => !found.some((f) => f.path === p.path));
        return [...found, ...extra];
      } catch (err) {
        failure = err;
        const code = (err as { code?: number }).code;
        if (code === status.UNIMPLEMENTED || code === status.RESOURCE_EXHAUSTED) break; // the others are alike, or the budget is spent
      }
    }
    if (this.protoRoot !== undefined) {
      const only = goMicroServices(nodes);
      return methodsIn(this.protoRoot, service, 'proto').filter((m) => only === undefined || only.has(m.endpoint.split('.')[0]!));
    }
    const code = (failure as { code?: number }).code;
    if (code === status.UNIMPLEMENTED) {
      throw toolkitError('no_descriptor', `${service} serves no reflection: give its .proto file (--proto)`);
    }
    throw toolkitError('no_descriptor', `could not describe ${service}: ${(failure as Error).message}`);
  }

  /** One keel client per registered service and proto service (its channels and node cache are shared by the methods). */
  private clientFor(m: ResolvedMethod): AnyClient {
    const known = this.clientOf.get(m);
    if (known !== undefined && !this.closed) return known;
    const family = (this.catalogOf.get(m) ?? [m]).filter((s) => s.protoService === m.protoService && s.source === m.source);
    const prefix = `${m.service}\n${m.protoService}\n${m.source}\n`;
    const key = prefix + family.map((s) => `${s.name}:${s.kind}:${s.request.name}:${s.response.name}`).join(',');
    let client = this.clients.get(key);
    if (client === undefined) {
      if (this.closed) throw keelError('closed', 'the dynamic caller was closed');
      // The service changed since the last client was made: its replacement serves the new methods.
      for (const [k, old] of this.clients) {
        if (k.startsWith(prefix)) {
          // Methods of the older catalog still in flight finish on it; later calls resolve anew.
          closeClient(old);
          this.clients.delete(k);
        }
      }
      client = createClient(definitionOf(family), m.service, {
        registry: this.options.registry,
        wrap: this.wrap,
        ...(this.options.tls === undefined ? {} : { tls: this.options.tls }),
      }) as unknown as AnyClient;
      this.clients.set(key, client);
    }
    this.clientOf.set(m, client);
    return client;
  }
}

function count(value: unknown, option: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) throw new RangeError(`DynamicCaller: ${option} must be an integer >= 1, got ${String(value)}`);
  return value;
}

/** go-micro nodes name their endpoints (`Basis.Hello`): only those proto services, when any node says. */
function goMicroServices(nodes: readonly { endpoints?: readonly { name: string }[] }[]): Set<string> | undefined {
  const names = nodes.flatMap((n) => (n.endpoints ?? []).map((e) => e.name.split('.')[0]!));
  return names.length === 0 ? undefined : new Set(names);
}

function encodeAt(type: Type, json: unknown, at: string): Buffer {
  try {
    return encodeJson(type, json);
  } catch (err) {
    if (isToolkitError(err)) throw toolkitError('bad_request', err.details.replace(/^request/, `request${at}`));
    throw err;
  }
}

function metadataOf(given: DynamicCallOptions['metadata']): Metadata {
  const metadata = new Metadata();
  for (const [key, value] of Object.entries(given ?? {})) {
    for (const v of typeof value === 'string' ? [value] : value) {
      try {
        metadata.add(key, v);
      } catch (err) {
        throw toolkitError('bad_request', `metadata ${key}: ${(err as Error).message}`);
      }
    }
  }
  return metadata;
}

function publicView(m: ResolvedMethod): DynamicMethod {
  return { service: m.service, endpoint: m.endpoint, path: m.path, kind: m.kind, request: m.request, response: m.response, source: m.source };
}
