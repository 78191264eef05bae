import { EventEmitter } from 'node:events';
import { Agent as HttpsAgent } from 'node:https';
import type Consul from 'consul';
import { describe, parseHostPort } from '../../address';
import { knownKeys, positiveMs } from '../../options';
import type { RegisterOptions, Registry, ServiceNode } from '../registry';
import { validateNode, validateRegister } from '../validate-node';
import { WatchHub } from '../watch-hub';
import { WatchLoops } from '../watch-loops';
import { observerOption, tell, type RegistryObserver } from '../observer';
import { backgroundAgent } from './background-agent';
import { BlockingWatch } from './blocking-watch';
import { nodesOf } from './entries';
import { encodeTags, goDuration } from './go-micro-tags';
import { consulTls } from './tls';
import type { ClientTlsOptions } from '../../tls';
import { loadPeer } from '../../peer';

export interface ConsulRegistryOptions {
  /** `host:port` or `http(s)://host:port`. Default: env `CONSUL_HTTP_ADDR`, else `127.0.0.1:8500`. */
  address?: string;
  /** ACL token, sent as `X-Consul-Token`. Default: env `CONSUL_HTTP_TOKEN`. */
  token?: string;
  /**
   * HTTPS to Consul: its CA, a client certificate and key (when Consul verifies incoming connections),
   * and the name to verify if not the address's host. Giving it means HTTPS. Default: from env
   * `CONSUL_CACERT`, `CONSUL_CLIENT_CERT`, `CONSUL_CLIENT_KEY`, `CONSUL_TLS_SERVER_NAME` when the address
   * is `https://…` or `CONSUL_HTTP_SSL=true`, as the Consul CLI reads them.
   */
  tls?: ClientTlsOptions;
  /** Datacenter. Default: the agent's. */
  datacenter?: string;
  /** How long a blocking query may wait in Consul. Default 30000 (go-micro's watch uses Consul's default too). */
  waitMs?: number;
  /** Timeout of ordinary requests (register, deregister, lookups). Default 5000. */
  requestTimeoutMs?: number;
  /** First delay after a failed watch query; doubles (with jitter) up to `backoffMaxMs`. Defaults 100 and 10000. */
  backoffMinMs?: number;
  backoffMaxMs?: number;
  /** Read from any Consul server, not only the leader (go-micro's default). Default true. */
  allowStale?: boolean;
  /** Told of every failed watch (e.g. `resilienceMetrics().observer`). Default: none. */
  observer?: RegistryObserver;
}

interface Target {
  host: string;
  port: number;
  scheme: 'http' | 'https' | undefined;
}

/**
 * A registry on Consul (go-micro's default production registry), interoperable with go-micro:
 * each node is a Consul service (ID = node id, Name, Address, Port) with go-micro's tags (`t-` per
 * metadata key, `v-` version), the metadata also as `Meta`, and a TTL check that `register` keeps passing; Consul deregisters a node
 * whose check stayed critical for TTL + 5 s (at least 1m5s). Discovery reads `/v1/health/service/<name>`
 * — skipping nodes with a critical check — with blocking queries, so a change reaches watchers at once;
 * while Consul is unreachable, watchers keep the last known nodes.
 * @example const registry = consulRegistry({ address: '127.0.0.1:8500' });
 */
export function consulRegistry(options: ConsulRegistryOptions = {}): Registry {
  knownKeys(options, ['address', 'token', 'tls', 'datacenter', 'waitMs', 'requestTimeoutMs', 'backoffMinMs', 'backoffMaxMs', 'allowStale', 'observer'], 'consulRegistry');
  const observer = observerOption(options.observer, 'consulRegistry: observer');
  const target = parseTarget(options.address ?? (process.env.CONSUL_HTTP_ADDR?.trim() || '127.0.0.1:8500'));
  const { secure, agent } = consulTls(options.tls, target.scheme, process.env);
  const token = options.token ?? (process.env.CONSUL_HTTP_TOKEN || undefined);
  if (token !== undefined && typeof token !== 'string') throw new TypeError(`consulRegistry: token must be a string, got ${describe(token)}`);
  const datacenter = options.datacenter;
  if (datacenter !== undefined && (typeof datacenter !== 'string' || datacenter === '')) {
    throw new TypeError(`consulRegistry: datacenter must be a non-empty string, got ${describe(datacenter)}`);
  }
  const waitMs = positiveMs(options.waitMs ?? 30_000, 'consulRegistry: waitMs');
  const requestTimeoutMs = positiveMs(options.requestTimeoutMs ?? 5000, 'consulRegistry: requestTimeoutMs');
  const backoffMinMs = positiveMs(options.backoffMinMs ?? 100, 'consulRegistry: backoffMinMs');
  const backoffMaxMs = positiveMs(options.backoffMaxMs ?? 10_000, 'consulRegistry: backoffMaxMs');
  if (backoffMaxMs < backoffMinMs) throw new RangeError('consulRegistry: backoffMaxMs must be >= backoffMinMs');
  const stale = options.allowStale ?? true;

  const defaults = { ...(token ? { token } : {}), ...(datacenter ? { dc: datacenter } : {}) };
  const Consul = loadPeer<typeof import('consul')>('consul', 'consulRegistry');
  const api = new Consul({ host: target.host, port: target.port, secure, defaults, ...(secure ? { agent: new HttpsAgent({ keepAlive: true, ...agent }) } : {}) });
  const watchApi = new Consul({ host: target.host, port: target.port, secure, defaults, agent: backgroundAgent(secure, agent) });
  const hub = new WatchHub();
  const watches = new WatchLoops(hub);
  /** What each of our nodes was last registered as: an unchanged node is refreshed by passing its check. */
  const registered = new Map<string, string>();

  const health = (name: string, consul: Consul, extra: object): Promise<unknown> =>
    (consul.health.service as (o: object) => Promise<unknown>)({ service: name, stale, ...extra });

  async function fullRegister(node: ServiceNode, ttlMs: number): Promise<void> {
    const { host, port } = parseHostPort(node.address, 'consulRegistry: node.address');
    await (api.agent.service.register as (o: object) => Promise<unknown>)({
      id: node.id,
      name: node.name,
      address: host,
      port,
      tags: encodeTags(node.metadata, node.version, node.endpoints),
      meta: consulMeta(node.metadata),
      check: { ttl: goDuration(ttlMs), deregistercriticalserviceafter: goDuration(Math.max(ttlMs, 60_000) + 5000) },
      timeout: requestTimeoutMs,
    });
  }
  /** Says what failed, where, and the HTTP status: `forbidden` alone does not say "check the ACL token". */
  const failed = (what: string, err: unknown): Error => {
    const code = statusOf(err);
    const hint = code === 403 ? ' (check the ACL token)' : '';
    return new Error(`consulRegistry: ${what} at ${secure ? 'https' : 'http'}://${target.host}:${target.port} failed: ` +
      `${(err as Error).message}${code ? ` (HTTP ${code})` : ''}${hint}`);
  };
  const pass = (node: ServiceNode): Promise<unknown> =>
    (api.agent.check.pass as (o: object) => Promise<unknown>)({ id: `service:${node.id}`, timeout: requestTimeoutMs });

  return {
    kind: 'consul',
    async register(node: ServiceNode, opts: RegisterOptions): Promise<void> {
      const ttlMs = validateRegister(node, opts, 'consulRegistry.register');
      const shape = JSON.stringify([node, ttlMs]);
      if (registered.get(node.id) === shape) {
        try {
          await pass(node);
          return;
        } catch {
          // The check is gone (Consul restarted, or deregistered us after a long outage): register afresh.
        }
      }
      try {
        await fullRegister(node, ttlMs);
        registered.set(node.id, shape);
        await pass(node); // a new TTL check starts critical
      } catch (err) {
        registered.delete(node.id);
        throw failed(`registering ${node.id}`, err);
      }
    },
    async deregister(node: ServiceNode): Promise<void> {
      validateNode(node, 'consulRegistry.deregister');
      registered.delete(node.id);
      try {
        await (api.agent.service.deregister as (o: object) => Promise<unknown>)({ id: node.id, timeout: requestTimeoutMs });
      } catch (err) {
        if (statusOf(err) !== 404) throw failed(`deregistering ${node.id}`, err); // already gone is fine
      }
    },
    async getService(name: string): Promise<ServiceNode[]> {
      let res: { headers: Record<string, string | undefined> };
      let body: unknown;
      try {
        [res, body] = (await health(name, api, { timeout: requestTimeoutMs, ctx: Object.assign(new EventEmitter(), { includeResponse: true }) })) as
          [{ headers: Record<string, string | undefined> }, unknown];
      } catch (err) {
        throw failed(`looking up ${name}`, err);
      }
      const nodes = nodesOf(body, name);
      // Under a deny-by-default ACL policy Consul answers an anonymous read with an empty list, not 403:
      // say so, rather than let the caller believe the service has no nodes.
      if (nodes.length === 0 && token === undefined && res.headers['x-consul-default-acl-policy'] === 'deny') {
        throw failed(`looking up ${name}`, new Error('no nodes visible: Consul\'s ACL default policy is deny and no token was given (set CONSUL_HTTP_TOKEN or the token option)'));
      }
      return nodes;
    },
    /**
     * The catalog's service names (go-micro's `ListServices` reads the same catalog), without Consul's own
     * `consul` service, and without names whose every node has a critical check (those only are looked up
     * again, so the usual cost is two requests).
     */
    async listServices(): Promise<string[]> {
      const opts = { stale, timeout: requestTimeoutMs };
      let names: string[];
      let critical: Array<{ ServiceName?: string }>;
      try {
        const [catalog, checks] = await Promise.all([
          (api.catalog.service.list as (o: object) => Promise<unknown>)(opts),
          (api.health.state as (o: object) => Promise<unknown>)({ ...opts, state: 'critical' }),
        ]);
        names = Object.keys((catalog ?? {}) as object).filter((name) => name !== 'consul');
        critical = Array.isArray(checks) ? (checks as typeof critical) : [];
      } catch (err) {
        throw failed('listing services', err);
      }
      const suspect = new Set(critical.map((c) => c?.ServiceName).filter((n): n is string => typeof n === 'string' && n !== ''));
      const live = await Promise.all(names.map(async (name) => !suspect.has(name) || (await this.getService(name)).length > 0));
      return names.filter((_, i) => live[i]).sort();
    },
    watch(name: string, onChange: (nodes: ServiceNode[]) => void): () => void {
      return watches.subscribe(name, onChange, () => new BlockingWatch({
        backoffMinMs,
        backoffMaxMs,
        minIntervalMs: 50,
        onResult: (body) => hub.publish(name, nodesOf(body, name)),
        onError: () => tell(() => observer?.watchError?.('consul', name)),
        query: (index, signal) => blockingQuery(name, index, signal),
      }));
    },
    async close(): Promise<void> {
      watches.close();
      api.destroy();
      watchApi.destroy();
    },
  };

  /** One blocking query, cancelled by `signal` or after the wait plus Consul's jitter (wait/16) and a margin. */
  async function blockingQuery(name: string, index: bigint, signal: AbortSignal): Promise<{ body: unknown; index: bigint | undefined }> {
    const ctx = Object.assign(new EventEmitter(), { includeResponse: true });
    const cancel = (): void => void ctx.emit('cancel');
    const timer = setTimeout(cancel, waitMs + waitMs / 16 + requestTimeoutMs);
    timer.unref();
    signal.addEventListener('abort', cancel, { once: true });
    try {
      const [res, body] = (await health(name, watchApi, { index: index.toString(), wait: goDuration(waitMs), ctx })) as
        [{ headers: Record<string, string | undefined> }, unknown];
      const header = res.headers['x-consul-index'];
      return { body, index: header !== undefined && /^\d+$/.test(header) ? BigInt(header) : undefined };
    } finally {
      clearTimeout(timer);
      signal.removeEventListener('abort', cancel);
    }
  }
}

/**
 * The metadata as Consul service `Meta`, as go-micro v5 also writes it (go-micro readers use the tags).
 * Only what Consul accepts (keys of letters, digits, `_`, `-` up to 128 characters, values up to 512,
 * 64 pairs): one rejected key would fail the whole registration.
 */
function consulMeta(metadata: Readonly<Record<string, string>>): Record<string, string> {
  const meta: Record<string, string> = {};
  for (const key of Object.keys(metadata).sort()) {
    const value = metadata[key] as string;
    if (Object.keys(meta).length < 64 && /^[A-Za-z0-9_-]{1,128}$/.test(key) && value.length <= 512) meta[key] = value;
  }
  return meta;
}

/** The HTTP status of a failed Consul request, if it got that far. */
function statusOf(err: unknown): number | undefined {
  const e = err as { statusCode?: unknown; response?: { statusCode?: unknown } } | null;
  const code = e?.statusCode ?? e?.response?.statusCode;
  return typeof code === 'number' ? code : undefined;
}

function parseTarget(address: unknown): Target {
  if (typeof address !== 'string' || address === '') {
    throw new TypeError(`consulRegistry: address must be "host:port" or a URL, got ${describe(address)}`);
  }
  const scheme = /^(https?):\/\//i.exec(address);
  const rest = scheme ? address.slice(scheme[0].length).replace(/\/+$/, '') : address;
  const { host, port } = parseHostPort(rest.includes(':') ? rest : `${rest}:8500`, 'consulRegistry: address');
  return { host, port, scheme: scheme?.[1]?.toLowerCase() as 'http' | 'https' | undefined };
}
