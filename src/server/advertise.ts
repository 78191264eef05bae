import { networkInterfaces } from 'node:os';

const UNSPECIFIED = new Set(['', '0.0.0.0', '::', '[::]']);

/**
 * The host to register for a server bound to `host`: the host itself, or, for a wildcard bind
 * (`0.0.0.0`, `::`, `:port`), the first non-internal IPv4 address (as go-micro does), else 127.0.0.1.
 */
export function advertiseHost(host: string): string {
  if (!UNSPECIFIED.has(host)) return host;
  for (const addresses of Object.values(networkInterfaces())) {
    for (const a of addresses ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  return '127.0.0.1';
}
