import { deflateSync, inflateSync } from 'node:zlib';
import { goMap, goString } from '../go-json';
import { goEndpoints, readEndpoints } from '../go-micro-endpoints';
import type { Endpoint, ServiceNode } from '../registry';

/**
 * The TXT payload of a node in go-micro's mDNS registry (go-micro v5 `registry/mdns_registry.go`, `encode` /
 * `decode`): Go's `json.Marshal` of `mdnsTxt{Metadata, Service, Version, Endpoints}` (no json tags, so the
 * keys are the Go field names, in declaration order), zlib-compressed, hex-encoded and cut into strings of
 * at most 255 characters; a reader joins the strings and reverses the steps. keel writes the node's
 * metadata and endpoints exactly as it writes them to Consul and etcd, so go-micro's `FilterEndpoint` and
 * `FilterLabel` see keel nodes as their own.
 */
export interface TxtFields {
  service: string;
  version: string;
  metadata: Record<string, string>;
  endpoints: Endpoint[] | undefined;
}

/** The most a TXT payload may inflate to: a node's JSON is a few KB; more is a zlib bomb, not a node. */
const MAX_JSON_BYTES = 64 * 1024;
const MAX_STRING = 255;

export function encodeTxt(node: ServiceNode): string[] {
  const json = `{"Metadata":${goMap(node.metadata)},"Service":${goString(node.name)},"Version":${goString(node.version)},` +
    `"Endpoints":${goEndpoints(node.endpoints)}}`;
  const hex = deflateSync(Buffer.from(json, 'utf8')).toString('hex');
  const strings: string[] = [];
  for (let i = 0; i < hex.length; i += MAX_STRING) strings.push(hex.slice(i, i + MAX_STRING));
  return strings;
}

/** Reads a TXT payload; undefined for anything go-micro's `decode` would reject, or that is not a node's. */
export function decodeTxt(strings: readonly (Buffer | string)[]): TxtFields | undefined {
  const hex = strings.map((s) => s.toString()).join('');
  if (hex.length === 0 || hex.length % 2 !== 0 || !/^[0-9a-fA-F]+$/.test(hex)) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(inflateSync(Buffer.from(hex, 'hex'), { maxOutputLength: MAX_JSON_BYTES }).toString('utf8'));
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const { Service: service, Version: version, Metadata: meta, Endpoints: endpoints } = value as Record<string, unknown>;
  if (typeof service !== 'string' || service === '' || (version !== undefined && version !== null && typeof version !== 'string')) return undefined;
  const metadata: Record<string, string> = {};
  if (typeof meta === 'object' && meta !== null) {
    for (const [k, v] of Object.entries(meta)) if (typeof v === 'string') metadata[k] = v;
  }
  return { service, version: version ?? '', metadata, endpoints: readEndpoints(endpoints) };
}
