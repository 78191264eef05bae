import type { RegistryObserver } from '../registry/observer';
import type { ServiceNode } from '../registry/registry';

/**
 * Registry facts for one `resilienceMetrics()`, gathered through the observer it hands out (pass it to
 * the registries and clients to measure): the nodes each of those clients knows (one entry per client's
 * node cache, set when its list changes) and the registry watch failures per registry kind and service
 * (a Consul blocking query, an etcd watch or listing, a Kubernetes watch that failed and will be retried:
 * clients keep their last list meanwhile). Nothing here is per process: two of these never share counts.
 */
export class RegistryFacts {
  private readonly known = new Map<object, { service: string; nodes: number }>();
  private readonly watchErrors = new Map<string, { registry: string; service: string; count: number }>();
  /** Bounds the watch-error series: services come from callers, so a stray loop cannot grow this map without limit. */
  private static readonly MAX_SERIES = 1000;

  readonly observer: RegistryObserver = {
    watchError: (registry, service) => {
      const key = `${registry}\u0000${service}`;
      const entry = this.watchErrors.get(key);
      if (entry !== undefined) entry.count++;
      else if (this.watchErrors.size < RegistryFacts.MAX_SERIES) this.watchErrors.set(key, { registry, service, count: 1 });
    },
    knownNodes: (owner: object, service: string, nodes: readonly ServiceNode[] | undefined) => {
      if (nodes === undefined) this.known.delete(owner);
      else this.known.set(owner, { service, nodes: nodes.length });
    },
  };

  /** Nodes known per service, summed over the observed clients of it. */
  knownNodes(): Map<string, number> {
    const out = new Map<string, number>();
    for (const { service, nodes } of this.known.values()) out.set(service, (out.get(service) ?? 0) + nodes);
    return out;
  }

  registryWatchErrors(): ReadonlyArray<{ registry: string; service: string; count: number }> {
    return [...this.watchErrors.values()];
  }
}
