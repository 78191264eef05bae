import type { ServiceNode } from '../registry/registry';

/**
 * Process-wide registry facts for `resilienceMetrics`, kept where they happen at the cost of a counter:
 * - the nodes each live client knows (one entry per client's node cache, set when its list changes);
 * - registry watch failures per registry kind and service (a Consul blocking query or an etcd watch or
 *   listing that failed and will be retried: clients keep their last list meanwhile).
 */
const known = new Map<object, { service: string; nodes: number }>();
const watchErrors = new Map<string, { registry: string; service: string; count: number }>();

/** A client's node cache saw a new list (`undefined`: the client closed). */
export function noteKnownNodes(owner: object, service: string, nodes: readonly ServiceNode[] | undefined): void {
  if (nodes === undefined) known.delete(owner);
  else known.set(owner, { service, nodes: nodes.length });
}

/** A registry watch of `service` failed once. */
export function noteWatchError(registry: string, service: string): void {
  const key = `${registry}\u0000${service}`;
  const entry = watchErrors.get(key);
  if (entry === undefined) watchErrors.set(key, { registry, service, count: 1 });
  else entry.count++;
}

/** Nodes known per service, summed over the process's clients of it. */
export function knownNodes(): Map<string, number> {
  const out = new Map<string, number>();
  for (const { service, nodes } of known.values()) out.set(service, (out.get(service) ?? 0) + nodes);
  return out;
}

export function registryWatchErrors(): ReadonlyArray<{ registry: string; service: string; count: number }> {
  return [...watchErrors.values()];
}
