import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import { status } from '@grpc/grpc-js';
import { GatewayError } from './status';

/** Decides whether a request may call through the gateway: true lets it in, false answers 401. May be async. */
export type Authorize = (request: IncomingMessage) => boolean | Promise<boolean>;

/**
 * An `authorize` that lets in only `Authorization: Bearer <token>` (compared in constant time). `keel api
 * --token` uses it.
 * @example createGateway({ registry, authorize: bearerToken(process.env.API_TOKEN!) })
 */
export function bearerToken(token: string): Authorize {
  if (typeof token !== 'string' || token.length < 16) throw new RangeError('bearerToken: the token must be a string of at least 16 characters');
  const want = digest(token);
  return (request) => {
    const header = request.headers.authorization;
    const m = typeof header === 'string' ? /^Bearer +(\S+) *$/i.exec(header) : null;
    return m !== null && timingSafeEqual(digest(m[1]!), want);
  };
}

const digest = (s: string): Buffer => createHash('sha256').update(s).digest();

/** `allowedOrigins` checked once: each an origin exactly as a browser sends it (`https://app.example.com`). */
export function originSet(origins: unknown): ReadonlySet<string> {
  if (origins === undefined) return new Set();
  if (!Array.isArray(origins)) throw new TypeError('createGateway: allowedOrigins must be an array of origins like "https://app.example.com"');
  for (const o of origins) {
    let parsed: URL | undefined;
    try {
      parsed = new URL(String(o));
    } catch {
      /* reported below */
    }
    if (typeof o !== 'string' || parsed === undefined || parsed.origin !== o) {
      throw new TypeError(`createGateway: allowedOrigins: ${JSON.stringify(o)} is not an origin (scheme://host[:port], no path or slash)`);
    }
  }
  return new Set(origins as string[]);
}

/**
 * Refuses a request a browser sent on behalf of another site's page (CSRF: a page anywhere could otherwise
 * make calls through a gateway on this machine with a form or a no-cors fetch), as Go's
 * `http.CrossOriginProtection` does: `Sec-Fetch-Site` other than `same-origin` or `none` is refused; without it,
 * an `Origin` whose host is not the request's `Host` is. Requests with neither header (curl, the CLI, other
 * programs) pass: they are not a browser acting for a page. Origins in `allowed` always pass.
 */
export function refuseCrossSite(headers: IncomingHttpHeaders, allowed: ReadonlySet<string>): void {
  const origin = headers.origin;
  if (origin !== undefined && allowed.has(origin)) return;
  const site = headers['sec-fetch-site'];
  if (site !== undefined) {
    if (site === 'same-origin' || site === 'none') return;
    throw refused(`a ${String(site).slice(0, 20)} request`);
  }
  if (origin === undefined) return;
  let host: string | undefined;
  try {
    host = new URL(origin).host;
  } catch {
    /* "null" and junk: refused */
  }
  if (host === undefined || host === '' || host !== headers.host) throw refused(`a request from ${origin.slice(0, 100)}`);
}

const refused = (what: string): GatewayError => new GatewayError(403, status.PERMISSION_DENIED, 'cross_site',
  `${what} is refused: calls from another site's page need the gateway's allowedOrigins (keel api --allow_origin)`);

/** Runs `authorize`; false (or a throw without a status) answers 401 with `WWW-Authenticate: Bearer`. */
export async function checkAuthorized(authorize: Authorize | undefined, request: IncomingMessage): Promise<void> {
  if (authorize === undefined) return;
  let allowed: boolean;
  try {
    allowed = (await authorize(request)) === true;
  } catch (err) {
    if (err instanceof GatewayError) throw err;
    allowed = false;
  }
  if (!allowed) throw new GatewayError(401, status.UNAUTHENTICATED, 'unauthenticated', 'the request is not authorized (Authorization: Bearer <token>)');
}
