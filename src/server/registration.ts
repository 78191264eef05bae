import type { Registry, ServiceNode } from '../registry/registry';

/**
 * Keeps one node registered: registers it, then registers it again every `intervalMs` with TTL `ttlMs`
 * (go-micro's RegisterInterval / RegisterTTL), so that a crashed process disappears within the TTL.
 */
export class Registration {
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly registry: Registry,
    readonly node: ServiceNode,
    private readonly ttlMs: number,
    private readonly intervalMs: number,
    private readonly onError: (err: Error) => void,
  ) {}

  /** Registers once (rejecting if that fails), then refreshes in the background. */
  async start(): Promise<void> {
    await this.registry.register(this.node, { ttlMs: this.ttlMs });
    this.timer = setInterval(() => {
      this.registry.register(this.node, { ttlMs: this.ttlMs }).catch((err: Error) =>
        this.onError(new Error(`keel: refreshing ${this.node.id} in the ${this.registry.kind} registry failed: ${err.message}`)));
    }, this.intervalMs);
    this.timer.unref();
  }

  /** Stops refreshing and deregisters; a failure is reported, not thrown, so shutdown goes on. */
  async stop(): Promise<void> {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    await this.registry.deregister(this.node).catch((err: Error) =>
      this.onError(new Error(`keel: deregistering ${this.node.id} from the ${this.registry.kind} registry failed: ${err.message}`)));
  }
}
