import type { IOptions, Lease, Watcher } from 'etcd3';
import { nonEmptyString } from '../../options';
import { etcdSecurity, explainEtcdError } from './security';
import { decodeNodes, encodeNode, nodeKey, serviceKeyPrefix } from './codec';
import { etcdSettings, type EtcdRegistryOptions } from './options';
import type { RegisterOptions, Registry, ServiceNode } from '../registry';
import { validateNode, validateRegister } from '../validate-node';
import { WatchHub } from '../watch-hub';
import { tell } from '../observer';
import { loadPeer } from '../../peer';
import type { Backoff } from '../../backoff';

export type { EtcdRegistryOptions } from './options';

interface Held {
  lease: Lease;
  ttlSec: number;
  value: string;
}

type WatchBackoff = NonNullable<NonNullable<IOptions['faultHandling']>['watchBackoff']>;
/** etcd3's reconnect waits as its linked list: the policy's n-th ceiling (no jitter), then the next. */
const watchBackoff = (policy: Backoff, n: number): WatchBackoff => ({ duration: policy.ceilingMs(n), next: () => watchBackoff(policy, n + 1) });
const noop = (): void => undefined;

/**
 * A registry in etcd, laid out as go-micro's etcd registry (see `codec.ts`; options in `options.ts`): a keel client finds
 * go-micro services and a go-micro client finds keel servers.
 * - `register` puts the node's key with a lease of `ceil(ttlMs / 1000)` s; etcd raises shorter leases to
 *   its minimum TTL, `ceil(1.5 × election timeout)` (2 s with etcd's defaults). Registering the node again
 *   renews that lease (KeepAliveOnce) and rewrites the key only if the node changed, as go-micro does;
 *   a lease that expired is replaced by a new one. Unlike go-micro, a TTL under 1 s still gets a lease.
 * - `deregister` deletes the key and revokes the lease; `close` does neither (the lease runs out).
 * - `watch` watches the service's key prefix and lists it again after each change, and after each
 *   reconnect. While etcd is unreachable watchers keep the last list, and retries back off
 *   (`backoffMinMs`, doubling, up to `backoffMaxMs`); etcd3's own circuit breaker also pauses calls to
 *   an endpoint for 5 s after 3 failures in a row, so a watch catches up within about 5 s of etcd's return.
 * @example const registry = etcdRegistry({ endpoints: '127.0.0.1:2379' }); // MICRO_REGISTRY=etcd
 */
export function etcdRegistry(options: EtcdRegistryOptions = {}): Registry {
  const { hosts, https, prefix, timeoutMs, backoff, observer } = etcdSettings(options);
  const security = etcdSecurity(options.tls, https, options.auth, process.env);

  const { Etcd3, EtcdLeaseInvalidError } = loadPeer<typeof import('etcd3')>('etcd3', 'etcdRegistry');
  const client = new Etcd3({
    hosts,
    ...security,
    defaultCallOptions: (call) => (call.isStream ? {} : { deadline: Date.now() + timeoutMs }),
    faultHandling: { watchBackoff: { duration: 0, next: () => watchBackoff(backoff, 1) } },
  });
  const hub = new WatchHub();
  const held = new Map<string, Held>(); // node key → the lease this registry holds for it
  const queues = new Map<string, Promise<void>>(); // node key → the last operation on it
  const watches = new Map<string, () => void>(); // service name → stop
  let closed = false;
  const explained = (err: unknown): never => {
    throw explainEtcdError(err, security);
  };

  const ensureOpen = (where: string): void => {
    if (closed) throw new Error(`${where}: the registry is closed`);
  };
  // One deadline for a whole operation, etcd3's retries included (the default options apply per attempt).
  const deadline = (): { deadline: number } => ({ deadline: Date.now() + timeoutMs });
  // One operation at a time per key: a refresh overlapping a slow one must not grant a second lease.
  const serial = (key: string, op: () => Promise<void>): Promise<void> => {
    const run = (queues.get(key) ?? Promise.resolve()).then(op);
    const tail = run.catch(noop);
    queues.set(key, tail);
    void tail.then(() => queues.get(key) === tail && queues.delete(key));
    return run;
  };
  const list = async (name: string): Promise<ServiceNode[]> => {
    const values = await client.getAll().prefix(serviceKeyPrefix(prefix, name)).options(deadline()).strings();
    // `a/b` and `a-b` share a key prefix (go-micro escapes `/`): keep only nodes of the name asked for.
    return Object.values(values).flatMap(decodeNodes).filter((n) => n.name === name);
  };

  async function put(key: string, value: string, ttlSec: number): Promise<void> {
    const cur = held.get(key);
    if (cur !== undefined && cur.ttlSec === ttlSec) {
      try {
        await cur.lease.keepaliveOnce(deadline());
        if (cur.value === value) return; // unchanged: no write, so watchers hear nothing
        await cur.lease.put(key).value(value).exec();
        cur.value = value;
        return;
      } catch (err) {
        if (!(err instanceof EtcdLeaseInvalidError)) throw err; // expired: grant a new lease below
      }
    }
    const lease = client.lease(ttlSec, { autoKeepAlive: false, ...deadline() });
    try {
      await lease.put(key).value(value).exec();
    } catch (err) {
      void lease.revoke(deadline()).catch(noop);
      throw err;
    }
    held.set(key, { lease, ttlSec, value });
    if (cur !== undefined) await cur.lease.revoke(deadline()).catch(noop); // the key has moved to the new lease
  }

  function startWatch(name: string): void {
    const keyPrefix = serviceKeyPrefix(prefix, name);
    const relist = new Retry(backoff);
    const rewatch = new Retry(backoff);
    let stopped = false;
    let ranging = false;
    let again = false;
    let watcher: Watcher | undefined;
    // Lists the service again; changes during a listing are coalesced into one more listing after it.
    const resync = (): void => {
      if (stopped) return;
      if (ranging) {
        again = true;
        return;
      }
      relist.cancel();
      ranging = true;
      again = false;
      list(name).then(
        (nodes) => {
          relist.reset();
          if (!stopped) hub.publish(name, nodes);
        },
        () => {
          again = false; // etcd failed: watchers keep their list, and we try again later
          tell(() => observer?.watchError?.('etcd', name));
          if (!stopped) relist.schedule(resync);
        },
      ).finally(() => {
        ranging = false;
        if (again) resync();
      });
    };
    const watch = (): void => {
      if (stopped) return;
      const w = client.watch().prefix(keyPrefix).watcher();
      watcher = w;
      w.on('connected', () => {
        rewatch.reset();
        resync();
      });
      w.on('put', resync).on('delete', resync);
      // etcd3 reconnects a lost stream itself ('disconnected', then 'connected'). An 'error' means etcd
      // cancelled this watch (e.g. its revision was compacted while we were away) and etcd3 dropped it.
      w.on('error', () => {
        if (stopped) return;
        tell(() => observer?.watchError?.('etcd', name));
        rewatch.schedule(watch);
      });
    };
    watch();
    watches.set(name, () => {
      stopped = true;
      relist.cancel();
      rewatch.cancel();
      void watcher?.cancel().catch(noop);
    });
  }
  const stopWatch = (name: string): void => {
    watches.get(name)?.();
    watches.delete(name);
  };

  return {
    kind: 'etcd',
    async register(node: ServiceNode, opts: RegisterOptions): Promise<void> {
      const ttlMs = validateRegister(node, opts, 'etcdRegistry.register');
      ensureOpen('etcdRegistry.register');
      const key = nodeKey(prefix, node.name, node.id);
      await serial(key, () => put(key, encodeNode(node), Math.ceil(ttlMs / 1000))).catch(explained);
    },
    async deregister(node: ServiceNode): Promise<void> {
      validateNode(node, 'etcdRegistry.deregister');
      ensureOpen('etcdRegistry.deregister');
      const key = nodeKey(prefix, node.name, node.id);
      await serial(key, async () => {
        const cur = held.get(key);
        held.delete(key);
        await client.delete().key(key).options(deadline()).exec();
        await cur?.lease.revoke(deadline()).catch(noop);
      }).catch(explained);
    },
    async getService(name: string): Promise<ServiceNode[]> {
      nonEmptyString(name, 'etcdRegistry.getService: name');
      ensureOpen('etcdRegistry.getService');
      return list(name).catch(explained);
    },
    /** The distinct names of the nodes under the prefix (a lease that expired has taken its key with it). */
    async listServices(): Promise<string[]> {
      ensureOpen('etcdRegistry.listServices');
      const values = await client.getAll().prefix(prefix).options(deadline()).strings().catch(explained);
      // The name inside each value, not the key: go-micro writes `/` in names as `-` in keys.
      return [...new Set(Object.values(values).flatMap(decodeNodes).map((n) => n.name))].sort();
    },
    watch(name: string, onChange: (nodes: ServiceNode[]) => void): () => void {
      nonEmptyString(name, 'etcdRegistry.watch: name');
      ensureOpen('etcdRegistry.watch');
      return hub.subscribe(name, onChange, () => startWatch(name), () => stopWatch(name));
    },
    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      for (const name of [...watches.keys()]) stopWatch(name);
      hub.clear();
      for (const h of held.values()) h.lease.release();
      held.clear();
      client.close();
    },
  };
}

/** One pending retry at a time, after the policy's ceiling for this many failures in a row (until `reset`). */
class Retry {
  private failures = 0;
  private timer: NodeJS.Timeout | undefined;
  constructor(private readonly backoff: Backoff) {}
  schedule(fn: () => void): void {
    this.failures++;
    this.cancel();
    this.timer = setTimeout(fn, this.backoff.ceilingMs(this.failures));
  }
  reset(): void {
    this.failures = 0;
  }
  cancel(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }
}
