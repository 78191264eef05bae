import { status } from '@grpc/grpc-js';
import type { CallContext, EndListener, Selector } from '../call/contract';
import { acceptable } from '../call/node-choice';
import { hasStatusCode, isKeelError, isLocalRefusal } from '../errors';
import type { ServiceNode } from '../registry/registry';
import type { Clock } from '../time/clock';
import { pushback } from '../retry/retryable';
import { PeakEwma } from './peak-ewma';

export interface LeastLoadedSettings {
  decayMs: number;
  failurePenaltyMs: number;
  clock: Clock;
  random: () => number;
}

/** One node's load, as `leastLoaded().nodes()` reports it (dashboards, metrics). */
export interface NodeLoad {
  service: string;
  node: string;
  address: string;
  /** The peak-EWMA latency estimate now. */
  latencyMs: number;
  /** Attempts sent to it and not ended. */
  inFlight: number;
  /** latencyMs × (inFlight + 1): the balancer sends the next call to the cheaper of two random nodes. */
  cost: number;
}

/** The failures that say the node is unwell (the breaker's default failure codes). */
const NODE_FAILURES: ReadonlySet<number> = new Set([status.UNAVAILABLE, status.INTERNAL, status.UNKNOWN, status.DATA_LOSS]);

interface ServiceLoads {
  nodes: readonly ServiceNode[] | undefined;
  byId: Map<string, PeakEwma>;
}

/**
 * Power of two random choices over peak-EWMA cost (Finagle's `Balancers.p2cPeakEwma`, Linkerd's balancer):
 * of two distinct random nodes, the one with the lower latency × (in flight + 1) gets the attempt. A slow or
 * failing node's cost jumps at its first slow answer, so it gets next to nothing until its estimate decays
 * and a probe finds it well again; a degraded node gets the share its speed earns; a new node starts at the
 * median estimate of the others, cheap enough to be tried, and its in-flight count keeps it from a flood.
 * Filters are asked in preference order and the first node they accept is used (the `Selector` contract).
 */
export class LeastLoadedSelector implements Selector {
  private readonly services = new Map<string, ServiceLoads>();

  constructor(private readonly settings: LeastLoadedSettings) {}

  pick(nodes: readonly ServiceNode[], ctx: CallContext): ServiceNode | undefined {
    const n = nodes.length;
    if (n === 0) return undefined;
    if (n === 1) return acceptable(nodes[0] as ServiceNode, ctx) ? nodes[0] : undefined;
    const now = this.settings.clock.now();
    const loads = this.loadsOf(ctx.service, nodes);
    const random = this.settings.random;
    const i = Math.floor(random() * n) % n;
    let j = Math.floor(random() * (n - 1)) % (n - 1);
    if (j >= i) j++;
    const a = nodes[i] as ServiceNode;
    const b = nodes[j] as ServiceNode;
    const [first, second] = this.load(loads, a, now).cost(now) <= this.load(loads, b, now).cost(now) ? [a, b] : [b, a];
    if (acceptable(first, ctx)) return first;
    if (acceptable(second, ctx)) return second;
    // Both refused (an ejected node, a node already tried): the cheapest of the rest that is accepted.
    const rest = nodes.filter((node) => node !== a && node !== b)
      .sort((x, y) => this.load(loads, x, now).cost(now) - this.load(loads, y, now).cost(now));
    return rest.find((node) => acceptable(node, ctx));
  }

  placed(node: ServiceNode, ctx: CallContext): EndListener {
    const clock = this.settings.clock;
    const start = clock.now();
    const load = this.load(this.loadsOf(ctx.service, undefined), node, start);
    load.pending++;
    const timed = ctx.kind === 'unary' || ctx.kind === 'client_stream';
    return (error) => {
      load.pending--;
      const now = clock.now();
      this.record(load, error, timed ? now - start : undefined, now);
    };
  }

  /** Every known node's load now. */
  nodes(): NodeLoad[] {
    const now = this.settings.clock.now();
    const rows: NodeLoad[] = [];
    for (const [service, loads] of this.services) {
      for (const load of loads.byId.values()) {
        rows.push({ service, node: load.id, address: load.address, latencyMs: load.latencyMs(now), inFlight: load.pending, cost: load.cost(now) });
      }
    }
    return rows;
  }

  /**
   * What an attempt's end says about the node. A full answer (OK, or the application's own error) is a
   * latency sample. A cancel (a hedged loser, a caller who left) or a deadline only says the node took at
   * least that long. A node failure (UNAVAILABLE, INTERNAL, …) costs at least `failurePenaltyMs`, so a node
   * that fails fast does not look fast; a server's overload refusal costs at least its pushback.
   * Streams are not timed: their length is the application's, not the node's.
   */
  private record(load: PeakEwma, error: unknown, elapsedMs: number | undefined, now: number): void {
    if (error === undefined) {
      if (elapsedMs !== undefined) load.observe(elapsedMs, now);
      return;
    }
    const elapsed = elapsedMs ?? 0;
    if (isLocalRefusal(error) || isKeelError(error, 'deadline') || !hasStatusCode(error)) {
      load.atLeast(elapsed, now);
    } else if (error.code === status.RESOURCE_EXHAUSTED) {
      const pushed = pushback(error);
      load.atLeast(Math.max(elapsed, typeof pushed === 'number' ? pushed : 0), now);
    } else if (NODE_FAILURES.has(error.code) || error.code === status.DEADLINE_EXCEEDED) {
      load.atLeast(Math.max(elapsed, error.code === status.DEADLINE_EXCEEDED ? 0 : this.settings.failurePenaltyMs), now);
    } else if (elapsedMs !== undefined) {
      load.observe(elapsedMs, now); // the application answered (NOT_FOUND, INVALID_ARGUMENT…): a real round trip
    }
  }

  private loadsOf(service: string, nodes: readonly ServiceNode[] | undefined): ServiceLoads {
    let loads = this.services.get(service);
    if (loads === undefined) this.services.set(service, (loads = { nodes: undefined, byId: new Map() }));
    if (nodes !== undefined && nodes !== loads.nodes) {
      // A new node list (the registry changed): forget the nodes that left, so the table tracks the fleet.
      loads.nodes = nodes;
      if (loads.byId.size > 0) {
        const ids = new Set(nodes.map((node) => node.id));
        for (const id of loads.byId.keys()) if (!ids.has(id)) loads.byId.delete(id);
      }
    }
    return loads;
  }

  /** The node's load, made on first sight at the median of its peers' estimates (cheap enough to be tried). */
  private load(loads: ServiceLoads, node: ServiceNode, now: number): PeakEwma {
    let load = loads.byId.get(node.id);
    if (load === undefined) {
      load = new PeakEwma(node.id, node.address, medianLatency(loads.byId, now), now, this.settings.decayMs);
      loads.byId.set(node.id, load);
    }
    return load;
  }
}

function medianLatency(byId: ReadonlyMap<string, PeakEwma>, now: number): number {
  if (byId.size === 0) return 0;
  const sorted = [...byId.values()].map((l) => l.latencyMs(now)).sort((x, y) => x - y);
  return sorted[Math.floor((sorted.length - 1) / 2)] as number;
}
