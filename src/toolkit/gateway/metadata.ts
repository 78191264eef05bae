import type { IncomingHttpHeaders } from 'node:http';

/** Incoming headers named so are forwarded with the prefix removed (grpc-gateway's convention): `Grpc-Metadata-Tenant: a` → `tenant: a`. */
export const METADATA_PREFIX = 'grpc-metadata-';
/** Forwarded under their own names: credentials and request ids a backend may need. */
export const FORWARDED_HEADERS: readonly string[] = ['authorization', 'x-request-id', 'x-forwarded-for', 'x-real-ip', 'user-agent'];

// Legal gRPC metadata: lowercase keys of [0-9a-z_.-], printable ASCII values; `-bin` keys need binary values
// (and `grpc-*` keys are gRPC's own), so neither is forwarded.
const KEY = /^[0-9a-z_.-]+$/;
const VALUE = /^[ -~]*$/;
/** At most this many entries: a request with thousands of headers must not become thousands of metadata entries. */
const MAX_ENTRIES = 64;

/**
 * The gRPC metadata for a call from its HTTP headers: an allow-list, never everything. `Grpc-Metadata-<key>`
 * headers and the FORWARDED_HEADERS go through; hop-by-hop headers (Connection, Keep-Alive, TE, Upgrade, …),
 * `Host`, `Content-*` and the trace headers (the gateway's span is propagated instead) never do.
 */
export function metadataFrom(headers: IncomingHttpHeaders): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  let count = 0;
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    let key: string | undefined;
    if (name.startsWith(METADATA_PREFIX)) key = name.slice(METADATA_PREFIX.length);
    else if (FORWARDED_HEADERS.includes(name)) key = name;
    if (key === undefined || !KEY.test(key) || key.endsWith('-bin') || key.startsWith('grpc-') || HOP_BY_HOP.has(key)) continue;
    const values = (Array.isArray(value) ? value : [value]).filter((v) => VALUE.test(v));
    if (values.length === 0) continue;
    if (++count > MAX_ENTRIES) break;
    const existing = out[key];
    out[key] = existing === undefined ? (values.length === 1 ? values[0]! : values) : [...(Array.isArray(existing) ? existing : [existing]), ...values];
  }
  return out;
}

/** RFC 9110 §7.6.1 and the classics: never forwarded, even when asked for with the prefix. */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-authenticate', 'proxy-authorization', 'proxy-connection', 'te', 'trailer',
  'transfer-encoding', 'upgrade', 'host', 'content-length', 'content-type', 'traceparent', 'tracestate']);
