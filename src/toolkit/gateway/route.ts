import { status } from '@grpc/grpc-js';
import { GatewayError } from './status';

/** What a request asks for: a method of a registered service and its JSON request. */
export interface Target {
  service: string;
  /** go-micro's endpoint name, `Basis.Hello` (the caller also takes `pkg.Basis.Hello`). */
  endpoint: string;
  request: unknown;
}

/** `POST /rpc` (service and endpoint in the body) or `POST /<service>/<Service>/<Method>` (in the path). */
export type Route = { readonly kind: 'rpc' } | { readonly kind: 'path'; readonly service: string; readonly endpoint: string };

/**
 * Longest service or endpoint name a request may name, in characters: the local registry keeps a service in a
 * directory named after it, and file names stop at 255 bytes (Linux's NAME_MAX); no registry has a longer one
 * to find. Longer names are answered 400 before any registry is asked.
 */
export const MAX_NAME_LENGTH = 255;

/** JSON deeper than this is refused before it is parsed: no request type nests that deep, and deep input costs stack. */
export const MAX_JSON_DEPTH = 64;

/** The route of `method url`; unknown paths are 404, other verbs than POST on a route 405 (`Allow: POST`). */
export function matchRoute(method: string | undefined, url: string | undefined): Route {
  const path = (url ?? '/').split('?')[0]!;
  let route: Route | undefined;
  if (path === '/rpc' || path === '/rpc/') route = { kind: 'rpc' };
  else {
    const parts = path.split('/').slice(1);
    if (parts.length === 3 && parts.every((p) => p !== '')) {
      const [service, svc, name] = parts.map(decode) as [string, string, string];
      route = { kind: 'path', service, endpoint: `${svc}.${name}` };
      boundedNames(service, route.endpoint);
    }
  }
  if (route === undefined) throw new GatewayError(404, status.NOT_FOUND, 'unknown_route', `no route for ${path.slice(0, 200)}: POST /rpc or POST /<service>/<Service>/<Method>`);
  if (method !== 'POST') throw new GatewayError(405, status.UNIMPLEMENTED, 'method_not_allowed', `${String(method).slice(0, 20)} is not allowed: POST only`);
  return route;
}

function decode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw badRequest('the path is not valid percent-encoding');
  }
}

/**
 * The target of a `POST /rpc`: a JSON body `{ service, endpoint | method, request }` (Micro API's; `request`
 * may be JSON text, as Micro accepts), or the form-encoded `service=…&method=…&request=<json>`. A form
 * content type whose body looks like JSON is read as JSON: `curl -d '{…}'` sends JSON under a form type.
 */
export function rpcTarget(body: Buffer, contentType: string | undefined): Target {
  const text = body.toString('utf8');
  if (isForm(contentType) && !looksLikeJson(text)) {
    const form = new URLSearchParams(text);
    const request = form.get('request');
    return checked(form.get('service'), form.get('endpoint') || form.get('method'), request === null || request.trim() === '' ? {} : parseJson(request, 'request'));
  }
  const parsed = parseJson(text, 'body');
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw badRequest('the body must be a JSON object { service, endpoint, request }');
  const { service, endpoint, method, request } = parsed as Record<string, unknown>;
  const named = endpoint === undefined || endpoint === '' ? method : endpoint;
  return checked(service, named, typeof request === 'string' ? parseJson(request, 'request') : request ?? {});
}

/**
 * The request of a path-routed call: the whole body, `{}` when it is empty; a JSON array for a client or bidi
 * stream. Any content type: a form type whose body looks like JSON (`curl -d '[…]'`) is read as JSON.
 */
export function pathRequest(body: Buffer, contentType: string | undefined): unknown {
  if (isForm(contentType) && body.length > 0 && !looksLikeJson(body.toString('utf8'))) {
    throw new GatewayError(415, status.INVALID_ARGUMENT, 'unsupported_media_type', 'path-routed calls take a JSON body');
  }
  const text = body.toString('utf8');
  const request = text.trim() === '' ? {} : parseJson(text, 'body');
  if (typeof request !== 'object' || request === null) throw badRequest('the body must be the JSON request object (an array for client-streaming methods)');
  return request;
}

function checked(service: unknown, endpoint: unknown, request: unknown): Target {
  if (typeof service !== 'string' || service === '') throw badRequest('service must be a non-empty string');
  if (typeof endpoint !== 'string' || endpoint === '') throw badRequest('endpoint (or method) must be a non-empty string, e.g. "Basis.Hello"');
  if (typeof request !== 'object' || request === null) throw badRequest('request must be a JSON object (an array for client-streaming methods)');
  boundedNames(service, endpoint);
  return { service, endpoint, request };
}

function boundedNames(service: string, endpoint: string): void {
  if (service.length > MAX_NAME_LENGTH) throw badRequest(`the service name is longer than ${MAX_NAME_LENGTH} characters: no registry holds such a name`);
  if (endpoint.length > MAX_NAME_LENGTH) throw badRequest(`the endpoint name is longer than ${MAX_NAME_LENGTH} characters`);
}

/** A JSON object or array (what curl -d sends under a form content type), not `a=1&b=2`. */
function looksLikeJson(text: string): boolean {
  const first = text.trimStart()[0];
  return first === '{' || first === '[';
}

function isForm(contentType: string | undefined): boolean {
  const type = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  if (type === 'multipart/form-data') throw new GatewayError(415, status.INVALID_ARGUMENT, 'unsupported_media_type', 'multipart bodies are not accepted: send JSON or a urlencoded form');
  return type === 'application/x-www-form-urlencoded';
}

/** JSON.parse, refusing input nested deeper than MAX_JSON_DEPTH first (a linear scan, strings skipped). */
export function parseJson(text: string, what: string): unknown {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      if (++depth > MAX_JSON_DEPTH) throw badRequest(`${what} is nested deeper than ${MAX_JSON_DEPTH} levels`);
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw badRequest(`${what} is not valid JSON: ${(err as Error).message.slice(0, 200)}`);
  }
}

const badRequest = (message: string): GatewayError => new GatewayError(400, status.INVALID_ARGUMENT, 'bad_request', message);
