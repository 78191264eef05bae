import { knownKeys } from '../../options';
import type { RegisterOptions, Registry, ServiceNode } from '../registry';
import { systemClock, type Clock } from '../../time/clock';
import { copyNode, validateNode, validateRegister } from '../validate-node';
import { WatchHub } from '../watch-hub';

export interface MemoryRegistryOptions {
  /** Time source for TTLs. Default: `Date.now`. */
  clock?: Clock;
}

interface Entry {
  node: ServiceNode;
  expiresAt: number;
}

/**
 * A registry inside one process: for tests and for single-process apps. Nodes expire after their TTL.
 * @example const registry = memoryRegistry();
 */
export function memoryRegistry(options: MemoryRegistryOptions = {}): Registry {
  knownKeys(options, ['clock'], 'memoryRegistry');
  const clock = options.clock ?? systemClock;
  const services = new Map<string, Map<string, Entry>>();
  const hub = new WatchHub();
  let timer: NodeJS.Timeout | undefined;
  let closed = false;

  const live = (name: string): ServiceNode[] => {
    const now = clock.now();
    const out: ServiceNode[] = [];
    for (const entry of services.get(name)?.values() ?? []) if (entry.expiresAt > now) out.push(copyNode(entry.node));
    return out;
  };

  // One timer for the whole registry, set for the earliest expiry: expired nodes leave watchers on time.
  const sweep = (): void => {
    timer = undefined;
    if (closed) return;
    const now = clock.now();
    let next = Infinity;
    for (const [name, nodes] of services) {
      let changed = false;
      for (const [id, entry] of nodes) {
        if (entry.expiresAt <= now) {
          nodes.delete(id);
          changed = true;
        } else next = Math.min(next, entry.expiresAt);
      }
      if (nodes.size === 0) services.delete(name);
      if (changed) hub.publish(name, live(name));
    }
    if (next !== Infinity) {
      timer = setTimeout(sweep, Math.max(1, next - now));
      timer.unref();
    }
  };
  const changed = (name: string): void => {
    hub.publish(name, live(name));
    if (timer !== undefined) clearTimeout(timer);
    sweep();
  };

  return {
    kind: 'memory',
    async register(node: ServiceNode, opts: RegisterOptions): Promise<void> {
      const ttlMs = validateRegister(node, opts, 'memoryRegistry.register');
      let nodes = services.get(node.name);
      if (nodes === undefined) services.set(node.name, (nodes = new Map()));
      nodes.set(node.id, { node: copyNode(node), expiresAt: clock.now() + ttlMs });
      changed(node.name);
    },
    async deregister(node: ServiceNode): Promise<void> {
      validateNode(node, 'memoryRegistry.deregister');
      if (services.get(node.name)?.delete(node.id)) changed(node.name);
    },
    async getService(name: string): Promise<ServiceNode[]> {
      return live(name);
    },
    async listServices(): Promise<string[]> {
      return [...services.keys()].filter((name) => live(name).length > 0).sort();
    },
    watch(name: string, onChange: (nodes: ServiceNode[]) => void): () => void {
      const stop = hub.subscribe(name, onChange);
      hub.publish(name, live(name));
      return stop;
    },
    async close(): Promise<void> {
      closed = true;
      if (timer !== undefined) clearTimeout(timer);
      hub.clear();
    },
  };
}
