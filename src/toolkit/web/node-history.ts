import type { ServiceView } from './board';
import type { NodeHealth } from './health-probes';

/** What a balancer knows of one node: `leastLoaded().nodes()`'s rows, which the per-node strip shows. */
export type { NodeLoad } from '../library';

/**
 * Each node's last `size` health answers, one sample every `everyMs` at most (the dashboard renders more
 * often than nodes are checked): the strip of cells beside each node. Nodes that left are forgotten.
 */
export class NodeHistory {
  private readonly samples = new Map<string, Array<NodeHealth | undefined>>();
  private lastAt = -Infinity;

  constructor(private readonly everyMs: number, private readonly size = 30) {}

  /** Samples `services` when `everyMs` has passed since the last sample; returns the strips by node id. */
  record(services: readonly ServiceView[], now: number): ReadonlyMap<string, ReadonlyArray<NodeHealth | undefined>> {
    if (now - this.lastAt >= this.everyMs) {
      this.lastAt = now;
      const seen = new Set<string>();
      for (const svc of services) {
        for (const { node, health } of svc.nodes) {
          seen.add(node.id);
          const strip = this.samples.get(node.id) ?? [];
          strip.push(health);
          if (strip.length > this.size) strip.shift();
          this.samples.set(node.id, strip);
        }
      }
      for (const id of this.samples.keys()) if (!seen.has(id)) this.samples.delete(id);
    }
    return this.samples;
  }
}
