import { describe, parseHostPort } from '../../address';
import { Backoff } from '../../backoff';
import { knownKeys, nonEmptyString, positiveMs } from '../../options';
import type { ClientTlsOptions } from '../../tls';
import { observerOption, type RegistryObserver } from '../observer';
import { GO_MICRO_PREFIX } from './codec';
import type { EtcdAuth } from './security';

export interface EtcdRegistryOptions {
  /**
   * etcd client endpoints: `host:port`, `http(s)://host:port` or `host` (port 2379, as go-micro), as an
   * array or one comma-separated string. Default: env `MICRO_REGISTRY_ADDRESS`, else `127.0.0.1:2379`.
   */
  endpoints?: string | readonly string[];
  /** Key prefix. Default `/micro/registry/`, go-micro's, so that keel and go-micro services meet. */
  prefix?: string;
  /**
   * Deadline of each etcd request, waiting for the connection included (go-micro's `registry.Timeout`,
   * which it also uses as the dial timeout). Default 5000.
   */
  requestTimeoutMs?: number;
  /** A watch that lost etcd tries again after `backoffMinMs`, doubling up to `backoffMaxMs`. Defaults 100 and 5000. */
  backoffMinMs?: number;
  backoffMaxMs?: number;
  /**
   * TLS to etcd (on also when the endpoints say `https://`): its CA, a client certificate and key (for
   * `--client-cert-auth`), and `serverName`, the name in etcd's certificate to verify. Give `serverName`
   * when the endpoints are IP addresses, or Node prints DEP0123. Default: none.
   */
  tls?: ClientTlsOptions;
  /** etcd user and password. Default: env `ETCD_USERNAME` and `ETCD_PASSWORD` (both set), as go-micro. */
  auth?: EtcdAuth;
  /** Told of every failed watch (e.g. `resilienceMetrics().observer`). Default: none. */
  observer?: RegistryObserver;
}

/** The options checked, with their defaults (TLS and auth are checked by `etcdSecurity`). */
export interface EtcdSettings {
  hosts: string[];
  https: boolean;
  prefix: string;
  timeoutMs: number;
  /** `backoffMinMs` doubling up to `backoffMaxMs`: its ceilings, no jitter, are what etcd's watches wait. */
  backoff: Backoff;
  observer: RegistryObserver | undefined;
}

/** `options` checked at construction (TypeError/RangeError naming the option), defaults filled in. */
export function etcdSettings(options: EtcdRegistryOptions): EtcdSettings {
  knownKeys(options, ['endpoints', 'prefix', 'requestTimeoutMs', 'backoffMinMs', 'backoffMaxMs', 'tls', 'auth', 'observer'], 'etcdRegistry');
  const observer = observerOption(options.observer, 'etcdRegistry: observer');
  const envAddress = process.env.MICRO_REGISTRY_ADDRESS?.trim();
  const { hosts, https } = parseEndpoints(options.endpoints ?? (envAddress || '127.0.0.1:2379'));
  const prefix = options.prefix === undefined ? GO_MICRO_PREFIX : nonEmptyString(options.prefix, 'etcdRegistry: prefix');
  const timeoutMs = positiveMs(options.requestTimeoutMs ?? 5000, 'etcdRegistry: requestTimeoutMs');
  const backoffMinMs = positiveMs(options.backoffMinMs ?? 100, 'etcdRegistry: backoffMinMs');
  const backoffMaxMs = positiveMs(options.backoffMaxMs ?? 5000, 'etcdRegistry: backoffMaxMs');
  if (backoffMaxMs < backoffMinMs) throw new RangeError('etcdRegistry: backoffMaxMs must be >= backoffMinMs');
  const backoff = new Backoff({ initialMs: backoffMinMs, maxMs: backoffMaxMs }, Math.random, 'etcdRegistry');
  return { hosts, https, prefix, timeoutMs, backoff, observer };
}

/** Endpoints as etcd3 takes them (`host:port`), checked: the option names itself in errors. */
function parseEndpoints(value: unknown): { hosts: string[]; https: boolean } {
  const option = 'etcdRegistry: endpoints';
  const items = typeof value === 'string' ? value.split(',') : Array.isArray(value) ? (value as unknown[]) : undefined;
  if (items === undefined) throw new TypeError(`${option} must be a string or an array of strings, got ${describe(value)}`);
  const out: string[] = [];
  const schemes = new Set<string>();
  for (const item of items) {
    if (typeof item !== 'string') throw new TypeError(`${option} must hold strings, got ${describe(item)}`);
    let s = item.trim();
    if (s === '' && typeof value === 'string') continue; // "a:1, b:2," as in go-micro's flags
    const scheme = /^([a-zA-Z][\w+.-]*):\/\//.exec(s);
    if (scheme) {
      const name = scheme[1]?.toLowerCase() as string;
      if (name !== 'http' && name !== 'https') throw new RangeError(`${option}: only http:// and https:// endpoints, got ${JSON.stringify(item)}`);
      schemes.add(name);
      s = s.slice(scheme[0].length).replace(/\/+$/, '');
    }
    if (/^[^:[\]]+$/.test(s) || /^\[[^\]]+\]$/.test(s)) s += ':2379';
    parseHostPort(s, option);
    out.push(s);
  }
  if (out.length === 0) throw new RangeError(`${option} must name at least one endpoint, got ${describe(value)}`);
  if (schemes.size > 1) throw new RangeError(`${option}: all http:// or all https://, got ${describe(value)}`);
  return { hosts: out, https: schemes.has('https') };
}
