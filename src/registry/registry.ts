/** One running server instance as the registry knows it. */
export interface ServiceNode {
  /** Unique per process, e.g. `basis-6f1c…`. */
  readonly id: string;
  /** The service name clients look up, e.g. `basis`. */
  readonly name: string;
  readonly version: string;
  /** `host:port` (IPv6 hosts in brackets: `[::1]:50051`). */
  readonly address: string;
  readonly metadata: Readonly<Record<string, string>>;
  /**
   * What the node serves, as go-micro describes it (`registry.Endpoint`): written by the Consul (`e-` tags)
   * and etcd registries so go-micro's `selector.FilterEndpoint` finds keel nodes; servers fill it in,
   * they read it back too (for tools such as `keel describe`; selection does not use it). Default: none.
   */
  readonly endpoints?: readonly Endpoint[];
}

/** go-micro's `registry.Endpoint`: `Service.Method`, its message shapes, `{ stream: 'true' }` for streams. */
export interface Endpoint {
  readonly name: string;
  readonly request: EndpointValue | null;
  readonly response: EndpointValue | null;
  readonly metadata: Readonly<Record<string, string>>;
}

/** go-micro's `registry.Value`: a Go type name and, for structs, its fields (three levels deep at most). */
export interface EndpointValue {
  readonly name: string;
  readonly type: string;
  readonly values: readonly EndpointValue[] | null;
}

export interface RegisterOptions {
  /** The node disappears unless registered again within this time. */
  ttlMs: number;
}

/**
 * Where servers announce themselves and clients find them (go-micro's `registry.Registry`).
 *
 * Contract for implementers:
 * - `register` is also the refresh: calling it again for the same node id extends its TTL.
 * - `watch` calls `onChange` with the complete current list whenever it changes, and only then. A failure
 *   to reach the backing store is never reported as an empty list: watchers keep what they last saw.
 * - A node not refreshed within its TTL disappears from `getService` and from watchers.
 */
export interface Registry {
  /** `memory`, `local`, `mdns`, `consul`, `etcd`, … */
  readonly kind: string;
  register(node: ServiceNode, options: RegisterOptions): Promise<void>;
  deregister(node: ServiceNode): Promise<void>;
  getService(name: string): Promise<ServiceNode[]>;
  /**
   * The names of the services that have at least one live node, sorted and distinct (go-micro's
   * `ListServices`): for tools that show the whole registry (`keel services`, `keel watch`, the dashboard).
   */
  listServices(): Promise<string[]>;
  watch(name: string, onChange: (nodes: ServiceNode[]) => void): () => void;
  close(): Promise<void>;
}
