import { type Registry, type ServiceNode } from '../library';
import type { DynamicMethod } from '../dynamic/types';
import type { WebGateway } from './gateway';
import type { HealthProbes, NodeHealth } from './health-probes';

export interface NodeView {
  readonly node: ServiceNode;
  /** Undefined until the first check answers. */
  readonly health: NodeHealth | undefined;
}

export interface ServiceView {
  readonly name: string;
  readonly nodes: readonly NodeView[];
  /** From the caller (reflection or .proto); undefined while loading. */
  readonly methods: readonly DynamicMethod[] | undefined;
  /** Why the methods could not be resolved (the nodes' registered endpoint names are shown instead). */
  readonly methodsError: string | undefined;
}

export interface BoardOptions {
  /** How often the service list is read (`listServices`); nodes come from `watch` at once. */
  pollMs: number;
  /** How often every node's health is checked (a new node is checked at once). */
  healthIntervalMs: number;
}

interface Entry {
  nodes: ServiceNode[];
  stop: () => void;
  methods?: DynamicMethod[];
  methodsError?: string;
  loading: boolean;
}

/**
 * The registry as the dashboard shows it: every service (`listServices`, polled), its nodes (`watch`, live),
 * each node's health (grpc.health.v1, polled) and the service's endpoints (the caller's `methods()`).
 * `onChange` is called after anything shown changed.
 */
export class ServiceBoard {
  private readonly services = new Map<string, Entry>();
  private readonly health = new Map<string, NodeHealth>(); // by node id
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly abort = new AbortController();
  private listing = false;
  private closed = false;

  constructor(
    private readonly registry: Registry,
    private readonly caller: WebGateway['caller'],
    private readonly probes: HealthProbes,
    private readonly options: BoardOptions,
    private readonly onChange: () => void,
  ) {
    if (typeof (registry as Listing).listServices !== 'function') {
      throw new TypeError(`startWeb: the ${registry.kind} registry has no listServices()`);
    }
  }

  start(): void {
    void this.list();
    this.timers.push(setInterval(() => void this.list(), this.options.pollMs));
    this.timers.push(setInterval(() => this.checkAll(), this.options.healthIntervalMs));
  }

  views(): ServiceView[] {
    return [...this.services].filter(([, e]) => e.nodes.length > 0).sort(([a], [b]) => a.localeCompare(b)).map(([name, e]) => ({
      name,
      nodes: e.nodes.map((node) => ({ node, health: this.health.get(node.id) })),
      methods: e.methods,
      methodsError: e.methodsError,
    }));
  }

  close(): void {
    this.closed = true;
    this.abort.abort();
    for (const t of this.timers) clearInterval(t);
    for (const e of this.services.values()) e.stop();
    this.services.clear();
  }

  private async list(): Promise<void> {
    if (this.listing || this.closed) return;
    this.listing = true;
    try {
      const names = await (this.registry as Listing).listServices();
      for (const name of names) if (!this.services.has(name) && !this.closed) this.follow(name);
    } catch {
      // The registry is unreachable: keep showing what was last seen (registries never report an outage as empty).
    } finally {
      this.listing = false;
    }
  }

  private follow(name: string): void {
    const entry: Entry = { nodes: [], stop: () => {}, loading: false };
    this.services.set(name, entry);
    const stop = this.registry.watch(name, (nodes) => {
      if (this.closed || this.services.get(name) !== entry) return;
      const known = new Set(entry.nodes.map((n) => n.id));
      entry.nodes = [...nodes].sort((a, b) => a.id.localeCompare(b.id));
      if (nodes.length === 0) {
        // Gone: stop watching; the next listing follows it again if it comes back.
        entry.stop();
        this.services.delete(name);
      } else {
        const joined = nodes.filter((node) => !known.has(node.id));
        for (const node of joined) this.check(name, node);
        // A node that joins may be a new version with other methods (the last list stays shown meanwhile).
        if ((entry.methods === undefined || joined.length > 0) && !entry.loading) void this.loadMethods(name, entry);
      }
      this.forget();
      this.onChange();
    });
    entry.stop = stop;
    // A registry may report the first list inside watch(): if that emptied the service, stop here.
    if (this.services.get(name) !== entry) stop();
  }

  private async loadMethods(name: string, entry: Entry): Promise<void> {
    entry.loading = true;
    try {
      entry.methods = await this.caller.methods(name, this.abort.signal);
      entry.methodsError = undefined;
    } catch (err) {
      // Tried again when the nodes change.
      entry.methodsError = (err as Error)?.message ?? String(err);
    } finally {
      entry.loading = false;
    }
    if (!this.closed) this.onChange();
  }

  private check(service: string, node: ServiceNode): void {
    void this.probes.check(service, node.address).then((health) => {
      if (this.closed || this.health.get(node.id) === health) return;
      if (!this.services.get(service)?.nodes.some((n) => n.id === node.id)) return; // left meanwhile
      this.health.set(node.id, health);
      this.onChange();
    });
  }

  private checkAll(): void {
    for (const [name, e] of this.services) for (const node of e.nodes) this.check(name, node);
  }

  /** Drops the health and channels of nodes no longer listed. */
  private forget(): void {
    const ids = new Set<string>();
    const addresses = new Set<string>();
    for (const e of this.services.values()) for (const n of e.nodes) (ids.add(n.id), addresses.add(n.address));
    for (const id of this.health.keys()) if (!ids.has(id)) this.health.delete(id);
    this.probes.keep(addresses);
  }
}

/** `Registry.listServices()` (go-micro's ListServices), which every registry gains with the toolkit. */
type Listing = Registry & { listServices(): Promise<string[]> };
