import { describe } from '../address';
import type { ServiceNode } from './registry';

/**
 * What a registry and a client's node cache report about discovery, to whoever created them and asked
 * (`resilienceMetrics().observer` turns it into `keel.registry.watch.errors` and `keel.client.nodes`).
 * Passed in as an option, never kept per process: two clients or registries in one process report only
 * to the observers they were given. Both methods are optional; each is called synchronously and must not
 * throw (a throw is caught and dropped, so a faulty observer cannot break discovery).
 */
export interface RegistryObserver {
  /** A watch of `service` on a `registry` (its `kind`: `consul`, `etcd`, `kubernetes`) failed once; it is retried. */
  watchError?(registry: string, service: string): void;
  /**
   * The nodes a client knows of `service` changed: `owner` is one client's node cache (a key, nothing
   * more), `nodes` its new list, `undefined` when the client closed.
   */
  knownNodes?(owner: object, service: string, nodes: readonly ServiceNode[] | undefined): void;
}

/** `value` as an observer (TypeError naming `name` if it is not one); `undefined` stays `undefined`. */
export function observerOption(value: unknown, name: string): RegistryObserver | undefined {
  if (value === undefined) return undefined;
  const o = value as Record<string, unknown> | null;
  if (typeof o !== 'object' || o === null || !['watchError', 'knownNodes'].every((m) => o[m] === undefined || typeof o[m] === 'function')) {
    throw new TypeError(`${name} must be an object with watchError and/or knownNodes methods, e.g. resilienceMetrics().observer; got ${describe(value)}`);
  }
  return o as RegistryObserver;
}

/** Calls `report` and drops anything it throws: an observer never breaks the registry or client that reports to it. */
export function tell(report: () => void): void {
  try {
    report();
  } catch {
    // An observer's own failure is its problem; discovery goes on.
  }
}
