import type { ServiceNode } from '../registry/registry';
import { tcpProbe } from './tcp-probe';

export interface LimboOptions {
  /** How often the kept nodes are probed. Default 500. */
  probeIntervalMs: number;
  /** A probe not answered within this fails. Default 1000. */
  probeTimeoutMs: number;
  /** The longest the nodes are kept after the registry emptied. Default 30000 (the default registration TTL). */
  maxKeepMs: number;
  /** Default: a TCP connect to the node's address. */
  probe: (address: string, timeoutMs: number) => Promise<boolean>;
}

export const LIMBO_DEFAULTS: LimboOptions = { probeIntervalMs: 500, probeTimeoutMs: 1000, maxKeepMs: 30_000, probe: tcpProbe };

/**
 * The last known nodes of a service whose registry suddenly lists none: a registry that forgot (a Consul
 * agent restarted empty, before the servers re-register) is not a fleet that died. After Finagle's
 * stabilized ServerSets (a removed member stays "in limbo", still served, for a bounded time) and Envoy's
 * eventually consistent discovery (a host absent from discovery keeps traffic while it passes health
 * checks), the nodes stay in use while they answer: each is probed at once and every `probeIntervalMs`,
 * and dropped at its first failed probe; all are dropped after `maxKeepMs`. The owner ends the limbo as
 * soon as the registry lists any node again.
 */
export class Limbo {
  private nodes: readonly ServiceNode[];
  private timer: NodeJS.Timeout | undefined;
  private readonly until: number;
  private ended = false;

  constructor(
    nodes: readonly ServiceNode[],
    /** Called with the nodes still kept whenever some were dropped; `[]` ends the limbo. */
    private readonly onDrop: (kept: readonly ServiceNode[]) => void,
    private readonly options: LimboOptions = LIMBO_DEFAULTS,
  ) {
    this.nodes = nodes;
    this.until = Date.now() + options.maxKeepMs;
    void this.check();
  }

  private async check(): Promise<void> {
    this.timer = undefined;
    if (this.ended) return;
    const { probe, probeTimeoutMs } = this.options;
    const alive = await Promise.all(this.nodes.map((n) => probe(n.address, probeTimeoutMs).catch(() => false)));
    if (this.ended) return;
    const kept = Date.now() >= this.until ? [] : this.nodes.filter((_, i) => alive[i]);
    if (kept.length < this.nodes.length) {
      this.nodes = kept;
      if (kept.length === 0) this.ended = true;
      this.onDrop(kept);
    }
    if (this.ended) return;
    this.timer = setTimeout(() => void this.check(), Math.min(this.options.probeIntervalMs, Math.max(0, this.until - Date.now())));
    this.timer.unref();
  }

  /** The registry listed nodes again (or the client closed): stop probing. */
  end(): void {
    this.ended = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
  }
}
