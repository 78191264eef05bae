import { knownKeys, nonEmptyString, parseHostPort, positiveMs, type Registry, stringRecord } from '../library';
import type { CheckResult } from './check';

/** What the sidecar serves for its app on `address`: the gateway (`createGateway`), adapted. */
export interface SidecarGateway {
  listen(address: string): Promise<unknown>;
  close(): Promise<void>;
}

/** Makes the gateway for the sidecar's app: calls to `service` found in `registry`. */
export type GatewayFactory = (context: { registry: Registry; service: string }) => SidecarGateway;

/** What happened, for a log: every check, and each time the node enters or leaves the registry. */
export type SidecarEvent =
  | { type: 'check'; result: CheckResult }
  | { type: 'registered'; id: string; address: string; endpoints: number; via: CheckResult['via'] }
  | { type: 'deregistered'; id: string; why: string };

export interface SidecarOptions {
  /** The name clients look up. Required (`--name`). */
  name: string;
  /** The app's gRPC `host:port` (plaintext); `:port` or `0.0.0.0:port` for an app bound to all interfaces. Required (`--app`). */
  app: string;
  /** `host:port` registered instead of `app` (NAT, containers). Default: `app` (a wildcard host becomes this host's IPv4 address). */
  advertise?: string;
  /** Default `latest`. */
  version?: string;
  /** Over go-micro's standard keys (`protocol: grpc`, `registry: <kind>`, …), like a keel server's. */
  metadata?: Record<string, string>;
  /** Where to register. Required. */
  registry: Registry;
  /** The grpc.health.v1 service name checked: `""` is the whole server. Default `""`. */
  healthService?: string;
  /** Time between the end of one check and the start of the next. Default 5000. */
  intervalMs?: number;
  /** Deadline of one check (and of reading the app's reflection). Default 1000. */
  checkTimeoutMs?: number;
  /** Deregister after this many failed checks in a row. Default 2. */
  failAfter?: number;
  /** Register again after this many passed checks in a row. Default 2 (the first check ever: 1). */
  recoverAfter?: number;
  /** TTL of the registration, as a keel server's. Default 30000. */
  registerTtlMs?: number;
  /** Refresh of the registration; below the TTL. Default 10000. */
  registerIntervalMs?: number;
  /** `host:port` to serve the gateway on; needs `gateway`. Default: no gateway. */
  address?: string;
  /** Makes the gateway served on `address`. */
  gateway?: GatewayFactory;
  /** Stops the sidecar (deregistering) when aborted: the CLI's Ctrl-C / SIGTERM. */
  signal?: AbortSignal;
  /** Every check and registration change. Default: none. */
  onEvent?: (event: SidecarEvent) => void;
  /** Background failures (the registry). Default: `console.error`. */
  onError?: (err: Error) => void;
}

export interface ResolvedOptions extends Required<Omit<SidecarOptions, 'advertise' | 'address' | 'gateway' | 'signal' | 'onEvent'>>,
  Pick<SidecarOptions, 'advertise' | 'address' | 'gateway' | 'signal' | 'onEvent'> {}

const KEYS = ['name', 'app', 'advertise', 'version', 'metadata', 'registry', 'healthService', 'intervalMs', 'checkTimeoutMs', 'failAfter',
  'recoverAfter', 'registerTtlMs', 'registerIntervalMs', 'address', 'gateway', 'signal', 'onEvent', 'onError'];

function count(value: unknown, option: string): number {
  if (typeof value !== 'number' || Number.isNaN(value)) throw new TypeError(`${option} must be a number, got ${typeof value}`);
  if (!Number.isInteger(value) || value < 1) throw new RangeError(`${option} must be a whole number >= 1, got ${value}`);
  return value;
}

/** Validates and fills in the defaults; throws a TypeError or RangeError naming the option. */
export function resolveOptions(options: SidecarOptions): ResolvedOptions {
  if (typeof options !== 'object' || options === null) throw new TypeError('startSidecar: options with a name, an app and a registry are required');
  knownKeys(options, KEYS, 'startSidecar');
  const name = nonEmptyString(options.name, 'startSidecar: name');
  // go-micro writes `:9000` for "all interfaces" (probed on loopback, registered with this host's address).
  const app = typeof options.app === 'string' && options.app.startsWith(':') ? `0.0.0.0${options.app}` : options.app;
  parseHostPort(app, 'startSidecar: app');
  if (options.advertise !== undefined) parseHostPort(options.advertise, 'startSidecar: advertise');
  if (options.address !== undefined) parseHostPort(options.address, 'startSidecar: address', true);
  if (options.address !== undefined && typeof options.gateway !== 'function') {
    throw new TypeError('startSidecar: address needs a gateway factory (gateway) to serve');
  }
  const registry = options.registry;
  if (typeof registry?.register !== 'function' || typeof registry.deregister !== 'function') {
    throw new TypeError('startSidecar: registry must be a keel Registry');
  }
  const version = options.version ?? 'latest';
  if (typeof version !== 'string') throw new TypeError('startSidecar: version must be a string');
  const healthService = options.healthService ?? '';
  if (typeof healthService !== 'string') throw new TypeError('startSidecar: healthService must be a string');
  const registerTtlMs = positiveMs(options.registerTtlMs ?? 30_000, 'startSidecar: registerTtlMs');
  const registerIntervalMs = positiveMs(options.registerIntervalMs ?? 10_000, 'startSidecar: registerIntervalMs');
  if (registerIntervalMs >= registerTtlMs) {
    throw new RangeError(`startSidecar: registerIntervalMs (${registerIntervalMs}) must be below registerTtlMs (${registerTtlMs}), or the node expires between refreshes`);
  }
  for (const fn of ['onEvent', 'onError'] as const) {
    if (options[fn] !== undefined && typeof options[fn] !== 'function') throw new TypeError(`startSidecar: ${fn} must be a function`);
  }
  return {
    name,
    app,
    advertise: options.advertise,
    version,
    metadata: stringRecord(options.metadata, 'startSidecar: metadata'),
    registry,
    healthService,
    intervalMs: positiveMs(options.intervalMs ?? 5000, 'startSidecar: intervalMs'),
    checkTimeoutMs: positiveMs(options.checkTimeoutMs ?? 1000, 'startSidecar: checkTimeoutMs'),
    failAfter: count(options.failAfter ?? 2, 'startSidecar: failAfter'),
    recoverAfter: count(options.recoverAfter ?? 2, 'startSidecar: recoverAfter'),
    registerTtlMs,
    registerIntervalMs,
    address: options.address,
    gateway: options.gateway,
    signal: options.signal,
    onEvent: options.onEvent,
    onError: options.onError ?? ((err: Error) => console.error(err.message)),
  };
}
