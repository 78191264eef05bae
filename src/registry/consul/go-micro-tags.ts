import { deflateSync, inflateSync } from 'node:zlib';
import { goEndpoint, readEndpoints } from '../go-micro-endpoints';
import type { Endpoint } from '../registry';

/**
 * go-micro's Consul tag format (registry/consul/encoding.go), so keel and go-micro nodes registered in
 * one Consul see each other: each metadata entry is a tag `t-<hex(zlib(JSON {key: value}))>`, each
 * endpoint `e-<hex(zlib(JSON endpoint))>`, the version `v-<hex(zlib(version))>`. go-micro also reads an
 * older plain form (`t=`, `e=`, `v=`); so does keel. keel writes the node's endpoints and reads them back for tools
 * (`keel describe`; it selects by method path, not by endpoint); tags of other shapes are left alone.
 */

const encode = (text: string): string => deflateSync(Buffer.from(text, 'utf8')).toString('hex');

/**
 * Largest payload a tag may inflate to. Deflate packs 1000:1: a 32 KB tag another Consul writer registered
 * inflated to 32 MB on every read of the service. go-micro's own tags are a few hundred bytes.
 */
export const MAX_TAG_PAYLOAD_BYTES = 256 * 1024;

function decode(hex: string): string | undefined {
  if (hex.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(hex)) return undefined;
  try {
    return inflateSync(Buffer.from(hex, 'hex'), { maxOutputLength: MAX_TAG_PAYLOAD_BYTES }).toString('utf8');
  } catch {
    return undefined;
  }
}

/**
 * The tags for a node, in go-micro's order: metadata in key order (go-micro's is Go's random map order),
 * one `e-` tag per endpoint, then the version.
 */
export function encodeTags(metadata: Readonly<Record<string, string>>, version: string, endpoints: readonly Endpoint[] = []): string[] {
  const tags = Object.keys(metadata).sort().map((key) => `t-${encode(JSON.stringify({ [key]: metadata[key] }))}`);
  for (const endpoint of endpoints) tags.push(`e-${encode(goEndpoint(endpoint))}`);
  tags.push(`v-${encode(version)}`);
  return tags;
}

/** Reads the payload of a `<kind>-` or `<kind>=` tag; like go-micro, only the first form seen counts. */
function payloads(tags: readonly string[], kind: 't' | 'e'): string[] {
  const out: string[] = [];
  let form: string | undefined;
  for (const tag of tags) {
    if (tag.length < 2 || tag[0] !== kind) continue;
    const sep = tag[1] as string;
    if (sep !== '-' && sep !== '=') continue;
    if (form !== undefined && sep !== form) continue;
    form = sep;
    const text = sep === '=' ? tag.slice(2) : decode(tag.slice(2));
    if (text !== undefined) out.push(text);
  }
  return out;
}

export function decodeMetadata(tags: readonly string[]): Record<string, string> {
  const metadata: Record<string, string> = {};
  for (const text of payloads(tags, 't')) {
    try {
      const kv = JSON.parse(text) as unknown;
      if (typeof kv !== 'object' || kv === null) continue;
      for (const [key, value] of Object.entries(kv)) if (typeof value === 'string') metadata[key] = value;
    } catch {
      /* not JSON: skip, as go-micro does */
    }
  }
  return metadata;
}

/** The endpoints in `e-` tags; undefined when there are none. */
export function decodeEndpoints(tags: readonly string[]): Endpoint[] | undefined {
  const parsed: unknown[] = [];
  for (const text of payloads(tags, 'e')) {
    try {
      parsed.push(JSON.parse(text));
    } catch {
      /* not JSON: skip, as go-micro does */
    }
  }
  return readEndpoints(parsed);
}

export function decodeVersion(tags: readonly string[]): string | undefined {
  for (const tag of tags) {
    if (tag.length < 2 || tag[0] !== 'v') continue;
    if (tag[1] === '=') return tag.slice(2);
    if (tag[1] === '-') return decode(tag.slice(2));
  }
  return undefined;
}

/** A duration as Go prints it (`30s`, `1m5s`, `1.5s`, `500ms`, `1h0m0s`): what go-micro sends Consul. */
export function goDuration(ms: number): string {
  if (ms < 1000) return `${ms}ms`;
  const hours = Math.floor(ms / 3_600_000);
  const minutes = Math.floor((ms % 3_600_000) / 60_000);
  const seconds = `${((ms % 60_000) / 1000).toFixed(3)}`.replace(/\.?0+$/, '');
  if (hours > 0) return `${hours}h${minutes}m${seconds}s`;
  if (minutes > 0) return `${minutes}m${seconds}s`;
  return `${seconds}s`;
}
