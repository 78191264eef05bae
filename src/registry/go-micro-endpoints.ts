import { goMap, goString } from './etcd-codec';
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
