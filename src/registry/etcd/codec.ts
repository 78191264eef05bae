import type { ServiceNode } from '../registry';
import { goEndpoints, readEndpoints } from '../go-micro-endpoints';
import { parseNode } from '../validate-node';
import { goMap, goString } from '../go-json';

/**
 * go-micro's etcd registry layout (go-micro.dev/v5 `registry/etcd/etcd.go`), so that keel and go-micro
 * services find each other in one etcd:
 * - key: `nodePath` = Go `path.Join(prefix, name, id)` with every `/` in the name and the id replaced by
 *   `-`, e.g. `/micro/registry/basis/basis-6f1c…`; a service's nodes are the keys under
 *   `servicePath(name) + "/"`.
 * - value: Go `json.Marshal` of a `registry.Service` holding exactly this one node:
 *   `{"name","version","metadata","endpoints","nodes":[{"metadata","id","address"}]}` (Go's field order;
 *   map keys sorted; `<`, `>`, `&`, U+2028/9 escaped as Go does). keel has no service metadata (`null`, what
 *   Go writes for a nil map); `endpoints` are the node's (see `goEndpoint`), `null` when it has none, so the
 *   value is byte-identical to go-micro's `Register` of `Service{Name, Version, Endpoints, Nodes: [node]}`.
 */

/** go-micro's default prefix. */
export const GO_MICRO_PREFIX = '/micro/registry/';

/** The key of one node. */
export function nodeKey(prefix: string, name: string, id: string): string {
  return goJoin(prefix, segment(name, 'node.name'), segment(id, 'node.id'));
}

/** The key prefix under which all nodes of `name` live (with the trailing `/`). */
export function serviceKeyPrefix(prefix: string, name: string): string {
  return `${goJoin(prefix, segment(name, 'name'))}/`;
}

/** The value go-micro writes for a node, byte for byte. */
export function encodeNode(node: ServiceNode): string {
  return `{"name":${goString(node.name)},"version":${goString(node.version)},"metadata":null,"endpoints":${goEndpoints(node.endpoints)},` +
    `"nodes":[{"metadata":${goMap(node.metadata)},"id":${goString(node.id)},"address":${goString(node.address)}}]}`;
}

/**
 * The nodes in a stored value (go-micro's or keel's): name and version from the service, id, address
 * and metadata from each node, the service's endpoints (for tools: `keel describe`) when it has any. Values that are not a service, and nodes keel cannot use (no id, an
 * address that is not `host:port`), are left out rather than failing the whole list.
 */
export function decodeNodes(value: string): ServiceNode[] {
  let service: unknown;
  try {
    service = JSON.parse(value);
  } catch {
    return [];
  }
  if (typeof service !== 'object' || service === null) return [];
  const { name, version, nodes, endpoints: stored } = service as { name?: unknown; version?: unknown; nodes?: unknown; endpoints?: unknown };
  if (!Array.isArray(nodes)) return [];
  const endpoints = readEndpoints(stored);
  const out: ServiceNode[] = [];
  for (const n of nodes as Array<{ id?: unknown; address?: unknown; metadata?: unknown } | null>) {
    const parsed = parseNode({
      id: n?.id, name, version: version ?? '', address: n?.address, metadata: n?.metadata ?? {},
    } as unknown as ServiceNode);
    if (parsed !== undefined) out.push(endpoints === undefined ? parsed : { ...parsed, endpoints });
  }
  return out;
}

/** A name or id as one path segment: `/` → `-` (as go-micro), and never `.` or `..`, which Go's path.Join would resolve. */
function segment(value: string, what: string): string {
  const s = value.replaceAll('/', '-');
  if (s === '.' || s === '..' || s === '') throw new TypeError(`etcdRegistry: ${what} cannot be ${JSON.stringify(value)} (not a key segment)`);
  return s;
}

/** Go's `path.Join`: the non-empty elements joined with `/`, then `path.Clean`ed. */
export function goJoin(...elems: string[]): string {
  const parts = elems.filter((e) => e !== '');
  return parts.length === 0 ? '' : goClean(parts.join('/'));
}

/** Go's `path.Clean`: no repeated or trailing slashes, no `.` segments, `..` resolved lexically. */
export function goClean(path: string): string {
  if (path === '') return '.';
  const rooted = path.startsWith('/');
  const out: string[] = [];
  for (const seg of path.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg !== '..') out.push(seg);
    else if (out.length > 0 && out[out.length - 1] !== '..') out.pop();
    else if (!rooted) out.push('..');
  }
  const joined = (rooted ? '/' : '') + out.join('/');
  return joined === '' ? '.' : joined;
}
