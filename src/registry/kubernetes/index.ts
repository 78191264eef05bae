import { Backoff } from '../../backoff';
import { describe } from '../../address';
import { boolean, func, integer, knownKeys, optionalFunction, positiveMs } from '../../options';
import { observerOption, tell, type RegistryObserver } from '../observer';
import type { RegisterOptions, Registry, ServiceNode } from '../registry';
import { validateNode, validateRegister } from '../validate-node';
import { WatchHub } from '../watch-hub';
import { WatchLoops } from '../watch-loops';
import { ApiClient, KubernetesApiError } from './api';
import { resolveApiConfig, type ApiConfig } from './config';
import { listSlices } from './list-slices';
import { SliceWatch, type KubernetesWatchEvent } from './slice-watch';
import { defaultServiceName, mergeSlices, SERVICE_NAME_LABEL, sliceNodes, type SliceNodes } from './slices';

export type { KubernetesWatchEvent } from './slice-watch';
export { KubernetesApiError } from './api';

export interface KubernetesRegistryOptions {
  /** The namespace whose EndpointSlices are read. Default: the kubeconfig context's, in a pod its service account's, else `default`. */
  namespace?: string;
  /**
   * Path of a kubeconfig file (its current context: server, CA, token / token file / client certificate).
   * Default: in a pod the service account (its token is read again as it rotates, and its CA), else the
   * first file in `KUBECONFIG`, else `~/.kube/config`.
   */
  kubeconfig?: string;
  /** The EndpointSlice port whose number a node gets. Default `grpc`; a slice with one port uses it whatever its name. */
  portName?: string;
  /**
   * The Kubernetes Service a keel service name is found under. Default: the name itself when it is a valid
   * Service name, else lowercased with other characters as `-` (`shippy.service.vessel` → `shippy-service-vessel`).
   */
  serviceName?: (name: string) => string;
  /**
   * When no endpoint of a Service is ready, use those still `serving` while `terminating` (as kube-proxy
   * does): a rolling update whose every old pod is stopping still has somewhere to send calls. Default true.
   */
  servingTerminating?: boolean;
  /** Timeout of a lookup (`getService`, `listServices`) and of each list request. Default 5000. */
  requestTimeoutMs?: number;
  /** First delay after a failed list or watch; doubles (with jitter) up to `backoffMaxMs`. Defaults 100 and 5000. */
  backoffMinMs?: number;
  backoffMaxMs?: number;
  /** Slices per Service (beyond it a watch fails rather than grow). Default 1000. */
  maxSlices?: number;
  /**
   * Each list, resumed watch, expiry (410) and failure of a watch. Default: failures are printed to
   * stderr, once per distinct message and Service (a refused list — RBAC — names the permission needed).
   */
  onEvent?: (event: KubernetesWatchEvent) => void;
  /** Told of every failed watch (e.g. `resilienceMetrics().observer`). Default: none. */
  observer?: RegistryObserver;
}

const KEYS = ['namespace', 'kubeconfig', 'portName', 'serviceName', 'servingTerminating', 'requestTimeoutMs', 'backoffMinMs', 'backoffMaxMs', 'maxSlices', 'onEvent', 'observer'];
const MAX_LIST_BYTES = 32 << 20;
const MAX_EVENT_BYTES = 4 << 20;

/**
 * A registry that reads Kubernetes: the nodes of a service are the ready endpoints of its Service's
 * EndpointSlices (`discovery.k8s.io/v1`, label `kubernetes.io/service-name`), kept fresh by a list +
 * watch that resumes from its resourceVersion and lists again on `410 Gone`; while the API server is
 * away watchers keep the last known nodes. The cluster registers pods (its EndpointSlice controller
 * lists a pod once its readiness probe — a keel server's grpc.health.v1 — passes), so `register` and
 * `deregister` do nothing. Zone and Kubernetes node name go into each node's metadata
 * (`topology.kubernetes.io/zone`, `kubernetes.io/hostname`).
 * Needs `get`, `list` and `watch` on `endpointslices.discovery.k8s.io` in the namespace.
 * @example const registry = kubernetesRegistry({ namespace: 'shop' }); // in a pod: its service account
 */
export function kubernetesRegistry(options: KubernetesRegistryOptions = {}): Registry {
  knownKeys(options, KEYS, 'kubernetesRegistry');
  const where = 'kubernetesRegistry';
  const observer = observerOption(options.observer, `${where}: observer`);
  const { kubeconfig, namespace: ns, portName = 'grpc', serviceName = defaultServiceName, servingTerminating = true } = options;
  if (kubeconfig !== undefined && (typeof kubeconfig !== 'string' || kubeconfig.trim() === '')) {
    throw new TypeError(`${where}: kubeconfig must be a file path, got ${describe(kubeconfig)}`);
  }
  if (ns !== undefined && (typeof ns !== 'string' || !/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(ns))) {
    throw new TypeError(`${where}: namespace must be a Kubernetes namespace name (a DNS label), got ${describe(ns)}`);
  }
  if (typeof portName !== 'string' || portName === '' || portName.length > 63) throw new TypeError(`${where}: portName must be a port name, got ${describe(portName)}`);
  func(serviceName, `${where}: serviceName`);
  boolean(servingTerminating, `${where}: servingTerminating`);
  const requestTimeoutMs = positiveMs(options.requestTimeoutMs ?? 5000, `${where}: requestTimeoutMs`);
  const backoff = new Backoff({ initialMs: options.backoffMinMs ?? 100, maxMs: options.backoffMaxMs ?? 5000, jitter: 'equal' }, Math.random, where);
  const maxSlices = integer(options.maxSlices ?? 1000, `${where}: maxSlices`, 1);
  optionalFunction(options.onEvent, `${where}: onEvent`);

  const config: ApiConfig = resolveApiConfig(kubeconfig, process.env, where);
  const namespace = ns ?? config.namespace;
  const api = new ApiClient(config, { requestTimeoutMs, maxBodyBytes: MAX_LIST_BYTES, maxEventBytes: MAX_EVENT_BYTES });
  const collection = `/apis/discovery.k8s.io/v1/namespaces/${namespace}/endpointslices`;
  const hub = new WatchHub();
  const watches = new WatchLoops(hub);
  const onEvent = options.onEvent ?? printFailuresOnce();

  /** The Service for `name`, or a TypeError naming both. */
  const serviceOf = (name: string): string => {
    const service = serviceName(name);
    if (typeof service !== 'string' || !/^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/.test(service)) {
      throw new TypeError(`${where}: ${JSON.stringify(name)} maps to no valid Kubernetes Service name (got ${describe(service)}); pass serviceName`);
    }
    return service;
  };
  /** An API failure said in terms of what to fix. */
  const explain = (what: string, err: unknown): Error => {
    const e = err as Error;
    const status = err instanceof KubernetesApiError ? err.status : 0;
    const hint = status === 403
      ? ` (RBAC: the identity needs get, list and watch on endpointslices.discovery.k8s.io in namespace ${namespace}; see examples/shippy/k8s/rbac.yaml)`
      : status === 401 ? ` (the credentials from ${config.source} were not accepted)` : '';
    return Object.assign(new Error(`${where}: ${what} at ${config.server.origin} failed: ${e.message}${hint}`, { cause: err }),
      status ? { status } : {});
  };
  const parse = (name: string) => (slice: unknown): SliceNodes | undefined => sliceNodes(slice, name, portName);

  let noticed = false;
  return {
    kind: 'kubernetes',
    /** Does nothing: the cluster lists a pod in its Service's EndpointSlices once its readiness probe passes. */
    async register(node: ServiceNode, opts: RegisterOptions): Promise<void> {
      validateRegister(node, opts, 'kubernetesRegistry.register');
      if (!noticed) {
        noticed = true;
        process.emitWarning('kubernetesRegistry: register() does nothing: Kubernetes lists a pod in its Service\'s EndpointSlices ' +
          'once its readiness probe (grpc.health.v1) passes', { code: 'KEEL_KUBERNETES_REGISTER' });
      }
    },
    async deregister(node: ServiceNode): Promise<void> {
      validateNode(node, 'kubernetesRegistry.deregister');
    },
    async getService(name: string): Promise<ServiceNode[]> {
      const service = serviceOf(name);
      try {
        const { slices } = await listSlices(api, collection, `${SERVICE_NAME_LABEL}=${service}`, (item) => {
          const s = sliceNodes(item, name, portName);
          return s?.service === service ? s : undefined;
        }, maxSlices);
        return mergeSlices(slices, servingTerminating);
      } catch (err) {
        throw explain(`listing the EndpointSlices of Service ${namespace}/${service}`, err);
      }
    },
    /** The Services (their Kubernetes names) with at least one usable endpoint in the namespace. */
    async listServices(): Promise<string[]> {
      let slices: SliceNodes[];
      try {
        ({ slices } = await listSlices(api, collection, SERVICE_NAME_LABEL, (item) => sliceNodes(item, '', portName), 10_000));
      } catch (err) {
        throw explain(`listing the EndpointSlices of namespace ${namespace}`, err);
      }
      const byService = new Map<string, SliceNodes[]>();
      for (const s of slices) byService.set(s.service, [...(byService.get(s.service) ?? []), s]);
      return [...byService].filter(([, s]) => mergeSlices(s, servingTerminating).length > 0).map(([n]) => n).sort();
    },
    watch(name: string, onChange: (nodes: ServiceNode[]) => void): () => void {
      const service = serviceOf(name);
      return watches.subscribe(name, onChange, () => new SliceWatch({
        api,
        service,
        collection,
        parse: parse(name),
        onSlices: (slices) => hub.publish(name, mergeSlices(slices.values(), servingTerminating)),
        onEvent: (event) => {
          if (event.type === 'error') tell(() => observer?.watchError?.('kubernetes', name));
          onEvent(event.type === 'error' ? { ...event, error: explain(`watching the EndpointSlices of Service ${namespace}/${service}`, event.error) } : event);
        },
        backoff,
        watchTimeoutS: 240 + Math.floor(Math.random() * 120),
        idleMs: 150_000,
        maxSlices,
      }));
    },
    async close(): Promise<void> {
      watches.close();
      api.close();
    },
  };
}

/** The default `onEvent`: each distinct failure of a Service's watch printed once to stderr. */
function printFailuresOnce(): (event: KubernetesWatchEvent) => void {
  const printed = new Set<string>();
  return (event) => {
    if (event.type !== 'error') return;
    const key = `${event.service}\n${event.error.message}`;
    if (printed.has(key) || printed.size >= 1000) return;
    printed.add(key);
    process.stderr.write(`keel: ${event.error.message} (retrying; the last known nodes are kept)\n`);
  };
}
