import { isIP } from 'node:net';
import type { IncomingHttpHeaders, ServerResponse } from 'node:http';

/**
 * Whether the request's `Host` names the dashboard: an IP literal, `localhost`, or one of `allowed`. A page on
 * any other name is a DNS-rebinding page (evil.example resolved to 127.0.0.1 after it loaded) and must not
 * reach `/rpc` or read the registry: browsers send the name the page was loaded from, which the attacker
 * cannot make an IP literal or localhost.
 */
export function hostServed(headers: IncomingHttpHeaders, allowed: ReadonlySet<string>): boolean {
  const header = headers.host;
  if (typeof header !== 'string' || header === '') return false;
  const host = (header.startsWith('[') ? header.slice(1, header.indexOf(']')) : header.replace(/:\d*$/, '')).toLowerCase();
  return isIP(host) !== 0 || host === 'localhost' || allowed.has(host);
}

/**
 * Sent with every answer. The page loads only its own script and talks only to its own origin
 * (`connect-src 'self'`: the call form and `/events`); its one `<style>` is inline. No page may frame it
 * (clickjacking the call form), and no URL of it is sent to the Jaeger UI it links to.
 */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': "default-src 'none'; script-src 'self'; style-src 'unsafe-inline'; connect-src 'self'; img-src 'self'; " +
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'x-content-type-options': 'nosniff',
};

export function setSecurityHeaders(res: ServerResponse): void {
  for (const [name, value] of Object.entries(SECURITY_HEADERS)) res.setHeader(name, value);
}
