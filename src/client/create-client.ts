import type { ChannelCredentials, ChannelOptions } from '@grpc/grpc-js';
import { kindOf, type Call, type ClientWrapper, type MethodInfo, type Selector } from '../call/contract';
import { asComposed } from '../call/compose';
import { Attempt, CallState, ClientContext } from '../call/context';
import { keelError } from '../errors';
import { CLIENT_CHANNEL_DEFAULTS } from '../grpc-defaults';
import { knownKeys, nonEmptyString, positiveMs } from '../options';
import { registryFromEnv } from '../registry/from-env';
import type { Registry } from '../registry/registry';
import { randomSelector } from '../select/random';
import { methodsOf, type ServiceDef } from '../service-def';
import { clientChannel, type ClientTlsOptions } from '../tls';
import { resolveOptions, type CallDefaults, type CallOptions } from './call-options';
import type { KeelClient } from '../typing';
import { ChannelPool } from './channels';
import { currentInbound } from '../inbound';
import { inherit } from './inherit';
import { LazyStream } from './lazy-stream';
import { NodeCache } from './node-cache';
import { observerOption, type RegistryObserver } from '../registry/observer';
import { isRequests } from '../stream/requests';
import { networkCall } from './network-call';
import { runCall } from './run-call';

export type { CallOptions } from './call-options';

export interface ClientOptions {
  /** Where to find the service's nodes. Default: `registryFromEnv()`. */
  registry?: Registry;
  /** Wrappers, from `wrapClient(...)`. Default: none. */
  wrap?: ClientWrapper;
  /** Default timeout of unary calls; it becomes the call's gRPC deadline. `Infinity` for none. Default 5000 (go-micro's). */
  timeoutMs?: number;
  /** Default timeout of streaming calls (all three kinds), from the start of the call to its end. Default `Infinity`: none. */
  streamTimeoutMs?: number;
  /** TLS or mutual TLS, verifying servers against `tls.serverName` (default: the service name). See `ClientTlsOptions`. Default: none. */
  tls?: ClientTlsOptions;
  /** Channel credentials, for what `tls` does not cover; not with `tls`. Default: insecure. */
  credentials?: ChannelCredentials;
  /** grpc-js channel options, e.g. `{ 'grpc.max_receive_message_length': 8 << 20 }`, over keel's defaults: keepalive (`CLIENT_KEEPALIVE`) and grpc-js's channelz statistics off (`'grpc.enable_channelz': 1` turns them on). */
  channelOptions?: ChannelOptions;
  /** How a node is chosen when no wrapper chooses. Default: random. */
  selector?: Selector;
  /**
   * How long a call waits for a connection to its node before failing with UNAVAILABLE (grpc-js has no
   * connect timeout: a black-holed node would hold a call until its deadline, a stream without one forever).
   * Only waits shorter than the call's deadline apply. `Infinity` for none. Default 5000.
   */
  connectTimeoutMs?: number;
  /** Told whenever the nodes this client knows change (e.g. `resilienceMetrics().observer`, for `keel.client.nodes`). Default: none. */
  observer?: RegistryObserver;
}


const closers = new WeakMap<object, () => void>();

/** Closes any keel client, even one whose service has an RPC named `close`. */
export function closeClient(client: object): void {
  closers.get(client)?.();
}

const CLIENT_OPTIONS = ['registry', 'wrap', 'timeoutMs', 'streamTimeoutMs', 'credentials', 'tls', 'channelOptions', 'selector', 'connectTimeoutMs', 'observer'];

/**
 * Creates a client for `serviceName`: each call finds the service's nodes in the registry, picks one
 * and sends the RPC on a channel kept per node. Methods by kind: unary `(req, opts) => Promise<res>`;
 * server streaming `(req, opts) => AsyncIterable<res>`; client streaming `(reqs, opts) => Promise<res>`;
 * bidi `(reqs, opts) => AsyncIterable<res>` (`reqs`: an Iterable or AsyncIterable).
 * @example
 * const basis = createClient(Basis, 'basis', { wrap: wrapClient(roundRobin(), breaker()) });
 * const { msg } = await basis.hello({ name: 'John' }, { timeoutMs: 500 });
 */
export function createClient<D extends ServiceDef>(def: D, serviceName: string, options: ClientOptions = {}): KeelClient<D> {
  knownKeys(options, CLIENT_OPTIONS, 'createClient');
  nonEmptyString(serviceName, 'createClient: serviceName');
  const methods = methodsOf(def, 'createClient: def');
  const defaults: CallDefaults = {
    timeoutMs: positiveMs(options.timeoutMs ?? 5000, 'createClient: timeoutMs', { allowInfinity: true }),
    streamTimeoutMs: positiveMs(options.streamTimeoutMs ?? Infinity, 'createClient: streamTimeoutMs', { allowInfinity: true }),
  };
  if (options.wrap !== undefined && typeof options.wrap !== 'function') {
    throw new TypeError('createClient: wrap must be the result of wrapClient(...)');
  }
  const wrap = options.wrap === undefined ? undefined : asComposed(options.wrap);
  const selector = options.selector ?? randomSelector;
  if (typeof selector?.pick !== 'function') throw new TypeError('createClient: selector must have a pick(nodes, ctx) method');
  const registry = options.registry ?? registryFromEnv();
  const observer = observerOption(options.observer, 'createClient: observer');

  const connectTimeoutMs = positiveMs(options.connectTimeoutMs ?? 5000, 'createClient: connectTimeoutMs', { allowInfinity: true });
  const channel = clientChannel(options.tls, options.credentials, { ...CLIENT_CHANNEL_DEFAULTS, ...options.channelOptions }, serviceName);
  const pool = new ChannelPool(channel.credentials, channel.channelOptions, connectTimeoutMs);
  const cache = new NodeCache(registry, serviceName, (nodes) => pool.retainOnly(new Set(nodes.map((n) => n.address))), undefined, observer);
  let closed = false;

  const client: Record<string, unknown> = {};
  for (const { definition, names } of methods) {
    const info: MethodInfo = { service: serviceName, method: definition.path, kind: kindOf(definition), definition };
    // Composed once per method: wrappers resolve their per-method state (circuits, span names) here.
    const pipeline: Call = wrap ? wrap(networkCall(cache, pool, info), info) : networkCall(cache, pool, info);

    /** One call: its context, then the pipeline; every failure is a rejected promise, never a throw. */
    const run = (request: unknown, callOptions: CallOptions | undefined): Promise<any> => {
      if (closed) return Promise.reject(keelError('closed', `the ${serviceName} client was closed`));
      let ctx: ClientContext;
      let release: (() => void) | undefined;
      try {
        checkShape(info, request);
        const resolved = resolveOptions(callOptions, info.kind, defaults);
        let { deadline, signal } = resolved;
        // Made while serving a call: inherit its deadline and cancellation. Outside a handler: one getStore().
        const inbound = resolved.inherit ? currentInbound() : undefined;
        if (inbound !== undefined) ({ deadline, signal, release } = inherit(deadline, signal, inbound));
        ctx = new ClientContext(new CallState(info, signal, resolved, resolved.maxAttempts), new Attempt(1, resolved.metadata),
          deadline, selector, undefined, undefined);
      } catch (err) {
        release?.();
        return Promise.reject(keelError('bad_option', `${info.method}: ${(err as Error).message}`));
      }
      if (release !== undefined) ctx.onEnd(release);
      return runCall(pipeline, request, ctx);
    };
    const method = info.kind === 'server_stream' || info.kind === 'bidi'
      ? (request: unknown, callOptions?: CallOptions) => new LazyStream(() => run(request, callOptions))
      : run;
    for (const name of names) client[name] = method;
  }
  const close = (): void => {
    closed = true;
    cache.close();
    pool.close();
  };
  closers.set(client, close);
  if (!('close' in client)) Object.defineProperty(client, 'close', { value: close, enumerable: false });
  return client as KeelClient<D>;
}

/** A request of the wrong shape for the method's kind is the caller's mistake: say which shape it takes. */
function checkShape(info: MethodInfo, request: unknown): void {
  const streaming = info.kind === 'client_stream' || info.kind === 'bidi';
  if (streaming && !isRequests(request)) {
    throw new TypeError(`is a ${info.kind === 'bidi' ? 'bidi' : 'client'}-streaming method: pass its requests as an Iterable or AsyncIterable, got ${typeof request}`);
  }
  if (!streaming && (typeof request !== 'object' || request === null || Array.isArray(request) ||
      typeof (request as AsyncIterable<unknown>)[Symbol.asyncIterator] === 'function')) {
    throw new TypeError(`takes one request message (an object), got ${Array.isArray(request) ? 'an array' : request === null ? 'null' : typeof request === 'object' ? 'a stream' : typeof request}`);
  }
}
