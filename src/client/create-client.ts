import { credentials as grpcCredentials, Metadata, status, type ChannelCredentials, type ChannelOptions, type MethodDefinition } from '@grpc/grpc-js';
import type { Call, CallContext, ClientWrapper, NodeFilter, Selector } from '../call';
import { KeelError } from '../errors';
import { knownKeys, nonEmptyString, positiveMs } from '../options';
import { registryFromEnv } from '../registry/from-env';
import type { Registry, ServiceNode } from '../registry/registry';
import { randomSelector } from '../select/random';
import { methodsOf, type ServiceDef } from '../service-def';
import type { KeelClient } from '../typing';
import { ChannelPool } from './channels';
import { NodeCache } from './node-cache';
import { terminal } from './terminal';

export interface ClientOptions {
  /** Where to find the service's nodes. Default: `registryFromEnv()`. */
  registry?: Registry;
  /** Wrappers, from `wrapClient(...)`. Default: none. */
  wrap?: ClientWrapper;
  /** Default per-call timeout; it becomes the call's gRPC deadline. `Infinity` for none. Default 5000 (go-micro's). */
  timeoutMs?: number;
  /** Channel credentials. Default: insecure. */
  credentials?: ChannelCredentials;
  /** grpc-js channel options, e.g. `{ 'grpc.max_receive_message_length': 8 << 20 }`. */
  channelOptions?: ChannelOptions;
  /** How a node is chosen when no wrapper chooses. Default: random. */
  selector?: Selector;
}

export interface CallOptions {
  /** This call's timeout, overriding the client's. */
  timeoutMs?: number;
  /** An absolute deadline (epoch ms or Date), e.g. a handler's `ctx.deadline` to propagate it. */
  deadline?: number | Date;
  /** Outgoing metadata. */
  metadata?: Metadata | Record<string, string>;
  /** Aborting it cancels the call. */
  signal?: AbortSignal;
}

class ClientCallContext implements CallContext {
  filters: NodeFilter[] | undefined = undefined;
  node: ServiceNode | undefined = undefined;
  constructor(
    readonly service: string,
    readonly method: string,
    readonly definition: MethodDefinition<unknown, unknown>,
    readonly metadata: Metadata,
    public deadline: number | undefined,
    readonly signal: AbortSignal | undefined,
    public selector: Selector,
  ) {}
}

const closers = new WeakMap<object, () => void>();

/** Closes any keel client, even one whose service has an RPC named `close`. */
export function closeClient(client: object): void {
  closers.get(client)?.();
}

const badOption = (message: string): Promise<never> =>
  Promise.reject(new KeelError(status.INVALID_ARGUMENT, 'bad_option', message));

/**
 * Creates a client for `serviceName`: each call finds the service's nodes in the registry, picks one
 * and sends the RPC on a channel kept per node.
 * @example
 * const basis = createClient(Basis, 'basis', { wrap: wrapClient(roundRobin(), breaker()) });
 * const { msg } = await basis.hello({ name: 'John' }, { timeoutMs: 500 });
 */
export function createClient<D extends ServiceDef>(def: D, serviceName: string, options: ClientOptions = {}): KeelClient<D> {
  knownKeys(options, ['registry', 'wrap', 'timeoutMs', 'credentials', 'channelOptions', 'selector'], 'createClient');
  nonEmptyString(serviceName, 'createClient: serviceName');
  const methods = methodsOf(def, 'createClient: def');
  const timeoutMs = positiveMs(options.timeoutMs ?? 5000, 'createClient: timeoutMs', { allowInfinity: true });
  if (options.wrap !== undefined && typeof options.wrap !== 'function') {
    throw new TypeError('createClient: wrap must be the result of wrapClient(...)');
  }
  const selector = options.selector ?? randomSelector;
  if (typeof selector?.pick !== 'function') throw new TypeError('createClient: selector must have a pick(nodes, ctx) method');
  const registry = options.registry ?? registryFromEnv();

  const pool = new ChannelPool(options.credentials ?? grpcCredentials.createInsecure(), options.channelOptions ?? {});
  const cache = new NodeCache(registry, serviceName, (nodes) => pool.retainOnly(new Set(nodes.map((n) => n.address))));
  const base = terminal(cache, pool);
  const pipeline: Call = options.wrap ? options.wrap(base) : base;
  if (typeof pipeline !== 'function') throw new TypeError('createClient: wrap returned something that is not a call');

  const client: Record<string, unknown> = {};
  for (const { definition, unary, names } of methods) {
    const method = unary
      ? (request: unknown, callOptions?: CallOptions) => {
          let ctx: ClientCallContext;
          try {
            ctx = new ClientCallContext(serviceName, definition.path, definition, metadataOf(callOptions),
              deadlineOf(callOptions, timeoutMs), callOptions?.signal, selector);
          } catch (err) {
            return badOption((err as Error).message);
          }
          return pipeline(request, ctx);
        }
      : () => badOption(`${definition.path} is a streaming method; keel clients support unary methods only`);
    for (const name of names) client[name] = method;
  }
  const close = (): void => {
    cache.close();
    pool.close();
  };
  closers.set(client, close);
  if (!('close' in client)) Object.defineProperty(client, 'close', { value: close, enumerable: false });
  return client as KeelClient<D>;
}

function deadlineOf(options: CallOptions | undefined, defaultTimeoutMs: number): number | undefined {
  const timeoutMs = options?.timeoutMs === undefined ? defaultTimeoutMs : positiveMs(options.timeoutMs, 'timeoutMs', { allowInfinity: true });
  let deadline = Number.isFinite(timeoutMs) ? Date.now() + timeoutMs : undefined;
  const given = options?.deadline;
  if (given !== undefined) {
    const at = given instanceof Date ? given.getTime() : given;
    if (typeof at !== 'number' || Number.isNaN(at)) throw new TypeError('deadline must be epoch milliseconds or a Date');
    if (Number.isFinite(at)) deadline = deadline === undefined ? at : Math.min(deadline, at);
  }
  return deadline;
}

function metadataOf(options: CallOptions | undefined): Metadata {
  const given = options?.metadata;
  if (given === undefined) return new Metadata();
  if (given instanceof Metadata) return given.clone();
  if (typeof given !== 'object' || given === null) throw new TypeError('metadata must be a grpc Metadata or an object of strings');
  const metadata = new Metadata();
  for (const [key, value] of Object.entries(given)) {
    if (typeof value !== 'string') throw new TypeError(`metadata.${key} must be a string`);
    metadata.set(key, value);
  }
  return metadata;
}
