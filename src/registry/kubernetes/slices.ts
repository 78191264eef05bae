import { isIP } from 'node:net';
import { formatHostPort } from '../../address';
import type { ServiceNode } from '../registry';

/** The label the EndpointSlice controller puts on every slice of a Service. */
export const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';
/** Where a node's zone and Kubernetes node name go in its metadata (the well-known label names). */
export const ZONE_KEY = 'topology.kubernetes.io/zone';
export const NODE_NAME_KEY = 'kubernetes.io/hostname';
/** A slice label read as the node's version (the controller copies the Service's labels to its slices). */
export const VERSION_LABEL = 'app.kubernetes.io/version';

/** What one slice contributes: its name, its Service, and its usable endpoints (ready ones, and the rest). */
export interface SliceNodes {
  name: string;
  service: string;
  ready: ServiceNode[];
  /** Serving but terminating: used only when no endpoint of the Service is ready (as kube-proxy does). */
  servingTerminating: ServiceNode[];
}

/** Bounds on what one slice may hold (the API allows 1000 endpoints and 100 ports a slice). */
const MAX_ENDPOINTS = 1000;
const MAX_ADDRESSES = 100;
const MAX_PORTS = 100;
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const NAME = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;

/**
 * The nodes of one EndpointSlice, read as the EndpointSlice API defines them
 * (https://kubernetes.io/docs/concepts/services-networking/endpoint-slices/): only `IPv4`/`IPv6` slices;
 * the port named `portName`, else the slice's only port; an endpoint is ready when `conditions.ready`
 * is true or absent, serving when `serving` is true (absent: as ready), terminating when `terminating`
 * is true. Every field is checked; a slice that does not have the expected shape yields undefined, an
 * endpoint that does not is skipped. `service` is the keel service name the nodes get.
 */
export function sliceNodes(value: unknown, service: string, portName: string): SliceNodes | undefined {
  const slice = obj(value);
  const meta = obj(slice?.metadata);
  const name = meta?.name;
  const labels = obj(meta?.labels);
  const owner = labels?.[SERVICE_NAME_LABEL];
  if (typeof name !== 'string' || !NAME.test(name) || typeof owner !== 'string' || !DNS_LABEL.test(owner)) return undefined;
  const out: SliceNodes = { name, service: owner, ready: [], servingTerminating: [] };
  const family = slice?.addressType;
  if (family !== 'IPv4' && family !== 'IPv6') return out;
  const port = choosePort(slice?.ports, portName);
  if (port === undefined) return out;
  const versionLabel = labels?.[VERSION_LABEL];
  const version = typeof versionLabel === 'string' && versionLabel.length <= 63 ? versionLabel : '';
  const endpoints = Array.isArray(slice?.endpoints) ? slice.endpoints.slice(0, MAX_ENDPOINTS) : [];
  for (const raw of endpoints) {
    const endpoint = obj(raw);
    const conditions = obj(endpoint?.conditions) ?? {};
    const ready = conditions.ready !== false;
    const serving = typeof conditions.serving === 'boolean' ? conditions.serving : ready;
    const terminating = conditions.terminating === true;
    if (!ready && !(serving && terminating)) continue;
    const addresses = Array.isArray(endpoint?.addresses) ? endpoint.addresses : [];
    const address = addresses.slice(0, MAX_ADDRESSES)[0]; // the API: consumers use the first; all are fungible
    if (typeof address !== 'string' || isIP(address) !== (family === 'IPv4' ? 4 : 6)) continue;
    const metadata: Record<string, string> = {};
    if (typeof endpoint?.zone === 'string' && DNS_LABEL_OR_ZONE.test(endpoint.zone)) metadata[ZONE_KEY] = endpoint.zone;
    if (typeof endpoint?.nodeName === 'string' && NAME.test(endpoint.nodeName)) metadata[NODE_NAME_KEY] = endpoint.nodeName;
    const target = obj(endpoint?.targetRef);
    const pod = target?.kind === 'Pod' && typeof target.name === 'string' && NAME.test(target.name) ? target.name : undefined;
    const node: ServiceNode = {
      id: `${pod ?? address}:${port}`,
      name: service,
      version,
      address: formatHostPort(address, port),
      metadata,
    };
    (ready ? out.ready : out.servingTerminating).push(node);
  }
  return out;
}

/** Zones are label values: up to 63 characters of letters, digits, `-`, `_`, `.`. */
const DNS_LABEL_OR_ZONE = /^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;

/** The nodes of a service from all its slices: ready endpoints, else the serving terminating ones; one node per address. */
export function mergeSlices(slices: Iterable<SliceNodes>, useServingTerminating: boolean): ServiceNode[] {
  const ready = new Map<string, ServiceNode>();
  const fallback = new Map<string, ServiceNode>();
  for (const s of slices) {
    for (const n of s.ready) ready.set(n.address, n);
    for (const n of s.servingTerminating) fallback.set(n.address, n);
  }
  if (ready.size > 0 || !useServingTerminating) return [...ready.values()];
  return [...fallback.values()];
}

function choosePort(value: unknown, portName: string): number | undefined {
  if (!Array.isArray(value)) return undefined;
  const ports = value.slice(0, MAX_PORTS).map(obj).filter((p) => p !== undefined && (p.protocol === undefined || p.protocol === 'TCP'));
  const named = ports.find((p) => p?.name === portName) ?? (ports.length === 1 ? ports[0] : undefined);
  const port = named?.port;
  return typeof port === 'number' && Number.isInteger(port) && port > 0 && port < 65536 ? port : undefined;
}

function obj(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

/**
 * The Kubernetes Service a keel service name is looked up as: the name itself when it is a valid Service
 * name (a DNS-1035 label), else lowercased with every other character as `-` (`shippy.service.vessel` →
 * `shippy-service-vessel`). Undefined when even that is no valid name.
 */
export function defaultServiceName(name: string): string | undefined {
  const mapped = name.toLowerCase().replace(/[^a-z0-9-]/g, '-');
  return /^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/.test(mapped) ? mapped : undefined;
}
