import { goMap, goString } from './go-json';
import type { Endpoint, EndpointValue } from './registry';

/**
 * An endpoint as Go's `encoding/json` writes go-micro's `registry.Endpoint`: fields in Go's declaration
 * order (`request`, `response`, `metadata`, `name`; a value's `name`, `type`, `values`), nil pointers and
 * slices as `null`. The Consul `e-` tag payload and the etcd `endpoints` entries are this text, so a keel
 * registration reads back in go-micro exactly as one of its own.
 */
export function goEndpoint(endpoint: Endpoint): string {
  return `{"request":${goValue(endpoint.request)},"response":${goValue(endpoint.response)},` +
    `"metadata":${goMap(endpoint.metadata)},"name":${goString(endpoint.name)}}`;
}

function goValue(value: EndpointValue | null): string {
  if (value === null) return 'null';
  const values = value.values === null ? 'null' : `[${value.values.map(goValue).join(',')}]`;
  return `{"name":${goString(value.name)},"type":${goString(value.type)},"values":${values}}`;
}

/** The `endpoints` of an etcd value: `null` when there are none, as Go writes a nil slice. */
export function goEndpoints(endpoints: readonly Endpoint[] | undefined): string {
  return endpoints === undefined || endpoints.length === 0 ? 'null' : `[${endpoints.map(goEndpoint).join(',')}]`;
}

/**
 * The endpoints in a stored go-micro registration (an etcd value's `endpoints`, a Consul `e-` tag's JSON),
 * read leniently: entries without a string `name` are left out, missing parts become `null` / `{}`.
 * Undefined when there are none, so nodes without endpoints keep their plain shape.
 */
export function readEndpoints(list: unknown): Endpoint[] | undefined {
  if (!Array.isArray(list)) return undefined;
  const out: Endpoint[] = [];
  for (const e of list as Array<Record<string, unknown> | null>) {
    if (typeof e?.name !== 'string' || e.name === '') continue;
    out.push({ name: e.name, request: readValue(e.request, 0), response: readValue(e.response, 0), metadata: readMetadata(e.metadata) });
  }
  return out.length > 0 ? out : undefined;
}

function readValue(value: unknown, depth: number): EndpointValue | null {
  const v = value as { name?: unknown; type?: unknown; values?: unknown } | null;
  if (typeof v !== 'object' || v === null || depth > 8) return null;
  const values = Array.isArray(v.values) ? v.values.map((x) => readValue(x, depth + 1)).filter((x): x is EndpointValue => x !== null) : null;
  return { name: typeof v.name === 'string' ? v.name : '', type: typeof v.type === 'string' ? v.type : '', values };
}

function readMetadata(value: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (typeof value === 'object' && value !== null) for (const [k, v] of Object.entries(value)) if (typeof v === 'string') out[k] = v;
  return out;
}
