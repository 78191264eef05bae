import { keelError } from '../errors';
import type { Registry, ServiceNode } from '../registry/registry';
import { tell, type RegistryObserver } from '../registry/observer';
import { grpcNodes } from './grpc-nodes';
import { Limbo, LIMBO_DEFAULTS, type LimboOptions } from './last-known-nodes';

/**
 * The nodes of one service as a client knows them: loaded on first use, then kept fresh by the
 * registry's watch. When the registry fails, the last known nodes keep serving. When none are known,
 * each call asks the registry again (one lookup at a time), so a call fails at once rather than hangs.
 * When a watch that listed nodes suddenly lists none, the last nodes stay in use while they still accept
 * connections (probed every 500 ms, for at most 30 s) or until the registry lists nodes again: see `Limbo`.
 * Nodes that speak another protocol (go-micro's `mucp`) are never listed: see `grpcNodes`.
 */
export class NodeCache {
  private nodes: readonly ServiceNode[] = [];
  private pending: Promise<readonly ServiceNode[]> | undefined;
  private unwatch: (() => void) | undefined;
  private closed = false;
  private limbo: Limbo | undefined;

  constructor(
    private readonly registry: Registry,
    private readonly service: string,
    private readonly onChange: (nodes: readonly ServiceNode[]) => void,
    private readonly limboOptions: LimboOptions = LIMBO_DEFAULTS,
    /** Told of every change of the list (and of the close), e.g. to count the nodes known. */
    private readonly observer?: RegistryObserver,
  ) {}

  /** The current nodes: synchronously when some are known (the hot path), else after a registry lookup. */
  get(): readonly ServiceNode[] | Promise<readonly ServiceNode[]> {
    if (this.nodes.length > 0) return this.nodes;
    return (this.pending ??= this.load().finally(() => (this.pending = undefined)));
  }

  private async load(): Promise<readonly ServiceNode[]> {
    if (this.closed) throw keelError('closed', 'the client was closed');
    if (this.unwatch === undefined) {
      try {
        this.unwatch = this.registry.watch(this.service, (nodes) => this.watched(grpcNodes(nodes)));
      } catch {
        // A watch that cannot start is retried on the next lookup; getService below may still answer.
      }
    }
    try {
      const nodes = grpcNodes(await this.registry.getService(this.service));
      // A watch event may have arrived during the lookup; a non-empty list from either is good.
      if (nodes.length > 0 || this.nodes.length === 0) this.set(nodes);
    } catch (err) {
      if (this.nodes.length === 0) {
        throw keelError('no_nodes',
          `no nodes known for "${this.service}": the ${this.registry.kind} registry failed: ${(err as Error).message}`);
      }
    }
    if (this.nodes.length === 0) {
      throw keelError('no_nodes', `no nodes registered for "${this.service}" in the ${this.registry.kind} registry`);
    }
    return this.nodes;
  }

  /** A watch update. An empty list after a non-empty one keeps the nodes that still answer (limbo). */
  private watched(nodes: ServiceNode[]): void {
    if (this.closed) return;
    if (nodes.length === 0 && this.nodes.length > 0) {
      this.limbo ??= new Limbo(this.nodes, (kept) => {
        if (kept.length === 0) this.limbo = undefined;
        this.apply(kept);
      }, this.limboOptions);
      return;
    }
    this.set(nodes);
  }

  private set(nodes: readonly ServiceNode[]): void {
    if (this.closed) return;
    if (nodes.length > 0) {
      this.limbo?.end();
      this.limbo = undefined;
    }
    this.apply(nodes);
  }

  private apply(nodes: readonly ServiceNode[]): void {
    if (this.closed) return;
    this.nodes = Object.freeze(nodes.slice());
    if (this.observer?.knownNodes) tell(() => this.observer?.knownNodes?.(this, this.service, this.nodes));
    this.onChange(this.nodes);
  }

  close(): void {
    this.closed = true;
    if (this.observer?.knownNodes) tell(() => this.observer?.knownNodes?.(this, this.service, undefined));
    this.limbo?.end();
    this.unwatch?.();
    this.unwatch = undefined;
  }
}
