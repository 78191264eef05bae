import { status } from '@grpc/grpc-js';
import type { MethodInfo } from '../call/contract';
import { hasStatusCode, isKeelError, isLocalRefusal } from '../errors';

/**
 * How grpc-js says a call never left this process: its picker found no connection to the node (refused,
 * reset, the process gone), so the request was never written. (pick_first: "No connection established.
 * Last error: connect ECONNREFUSED …"; round_robin prefixes its name.)
 */
const NOT_CONNECTED = 'No connection established';
/** HTTP/2 REFUSED_STREAM: the server promises it did not process the stream (e.g. it is going away). */
const REFUSED = 'Stream refused by server';

/**
 * True when the request certainly did not reach application code on the server: the node could not be
 * connected to, or the server refused the stream before processing it (a draining grpc-js server answers
 * new streams on a closing connection that way). Such a failure is safe to retry for any method.
 * A connection that dropped after the request was written ("Connection dropped", ECONNRESET mid-call) is
 * NOT in this set: the server may have run the handler.
 */
export function neverSent(err: unknown): boolean {
  if (!hasStatusCode(err) || err.code !== status.UNAVAILABLE || isKeelError(err)) return false;
  const details = (err as { details?: unknown }).details;
  if (typeof details !== 'string' || !(details.includes(NOT_CONNECTED) || details.startsWith(REFUSED))) return false;
  // The same words can come back from a server that passes on its own downstream failure (shippy's
  // consignment service did: CreateConsignment ran twice). A status a server sent arrives with the
  // response's headers (grpc-js keeps `content-type` of a trailers-only answer); one grpc-js made up
  // locally has none.
  return !fromServer(err);
}

function fromServer(err: object): boolean {
  const metadata = (err as { metadata?: { get?: (key: string) => unknown[] } }).metadata;
  return typeof metadata?.get === 'function' && metadata.get('content-type').length > 0;
}

/**
 * A server's `adaptiveLimit()` refused the call before its handler started (RESOURCE_EXHAUSTED with the
 * `concurrency_limit` reason in its trailer): safe to retry for any method, after its pushback.
 */
export function notStarted(err: unknown): boolean {
  return isKeelError(err, 'concurrency_limit') && err.origin === 'remote';
}

/** Codes retried for idempotent methods by default (gRPC's A6 suggests UNAVAILABLE; one attempt's deadline and a server limiter are safe to repeat too). */
export const IDEMPOTENT_CODES: ReadonlySet<number> = new Set([status.UNAVAILABLE, status.DEADLINE_EXCEEDED, status.RESOURCE_EXHAUSTED]);

/**
 * Whether one failed attempt may be retried: never this process's own refusals (a limiter, a breaker, no
 * nodes, a deadline passed before sending, the caller's cancel); always a request that was never sent;
 * otherwise only for idempotent methods and `codes`.
 */
export function retryable(err: unknown, idempotent: boolean, codes: ReadonlySet<number>): boolean {
  if (isLocalRefusal(err)) return false;
  if (neverSent(err) || notStarted(err)) return true;
  return idempotent && hasStatusCode(err) && codes.has(err.code);
}

/** The idempotency a method's definition carries (proto `option idempotency_level`, kept by proto-loader). */
export function declaredIdempotent(method: MethodInfo): boolean {
  const level = (method.definition as { options?: { idempotency_level?: unknown } }).options?.idempotency_level;
  return level === 'NO_SIDE_EFFECTS' || level === 'IDEMPOTENT' || level === 1 || level === 2;
}

/**
 * The server's `grpc-retry-pushback-ms` trailer (gRPC A6): a delay to wait instead of the backoff, or
 * `'stop'` when the server asks for no retry (a negative or malformed value). Undefined when absent.
 */
export function pushback(err: unknown): number | 'stop' | undefined {
  const metadata = (err as { metadata?: { get?: (key: string) => unknown[] } } | null)?.metadata;
  const values = typeof metadata?.get === 'function' ? metadata.get('grpc-retry-pushback-ms') : [];
  if (values.length === 0) return undefined;
  const text = String(values[0]);
  return /^\d+$/.test(text) ? Number(text) : 'stop';
}
