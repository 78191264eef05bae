import { Metadata, status } from '@grpc/grpc-js';
import { cleanTransportMessage, stackWithMessage } from './grpc-message';

/**
 * Why keel itself failed a call. Stable strings: match on these, never on messages. `REASONS` below is the
 * one table of their codes and meanings.
 */
export type KeelReason =
  | 'no_nodes'
  | 'deadline'
  | 'cancelled'
  | 'rate_limited'
  | 'circuit_open'
  | 'max_concurrent'
  | 'concurrency_limit'
  | 'throttled'
  | 'bad_option'
  | 'closed';

/**
 * Every keel reason, its gRPC code, and what it means. A breaker ignores every reason raised by this process
 * (they are refusals that say nothing of the backend); the same reason received from a server (in the
 * `keel-reason` trailer) counts against that server like any other status.
 */
export const REASONS: Readonly<Record<KeelReason, { readonly code: status; readonly when: string }>> = {
  no_nodes: { code: status.UNAVAILABLE, when: 'nothing usable is registered under the service name' },
  deadline: { code: status.DEADLINE_EXCEEDED, when: 'the deadline passed, or could not be met' },
  cancelled: { code: status.CANCELLED, when: "the caller's signal aborted, or the consumer stopped reading a stream" },
  rate_limited: { code: status.RESOURCE_EXHAUSTED, when: 'a rate limiter refused the call' },
  circuit_open: { code: status.UNAVAILABLE, when: 'a circuit breaker refused the call' },
  max_concurrent: { code: status.RESOURCE_EXHAUSTED, when: "a breaker's maxConcurrent was reached" },
  concurrency_limit: { code: status.RESOURCE_EXHAUSTED, when: "adaptiveLimit() refused the call: this client's limit, or the server's (then its handler never started, and the trailer grpc-retry-pushback-ms says when to try again)" },
  throttled: { code: status.RESOURCE_EXHAUSTED, when: "adaptiveLimit()'s client-side throttling refused the call: the servers have been refusing much of this client's traffic" },
  bad_option: { code: status.INVALID_ARGUMENT, when: 'a per-call option or the request shape was invalid' },
  closed: { code: status.FAILED_PRECONDITION, when: 'the client was closed' },
};

/** Trailer that carries a keel reason from a server to its caller. */
export const REASON_METADATA_KEY = 'keel-reason';

/**
 * An error keel produced. Shaped like grpc-js's `ServiceError` (`code`, `details`, `metadata`), so code
 * written for grpc-js handles it unchanged, plus a stable `reason` and where it was decided.
 */
export class KeelError extends Error {
  override readonly name = 'KeelError';
  readonly code: status;
  readonly details: string;
  readonly metadata: Metadata;
  readonly reason: KeelReason;
  /**
   * `local`: this process refused or ended the call (a limiter, a breaker, no nodes, a deadline that passed
   * before sending, the caller's cancel). `remote`: the reason came back from the call itself (the server's
   * `keel-reason` trailer, or a deadline that passed while the server worked).
   */
  readonly origin: 'local' | 'remote';

  constructor(code: status, reason: KeelReason, details: string, metadata?: Metadata, origin: 'local' | 'remote' = 'local') {
    super(`${code} ${status[code]}: ${details}`);
    this.code = code;
    this.reason = reason;
    this.details = details;
    this.metadata = metadata ?? new Metadata();
    this.origin = origin;
  }
}

/** The one way keel builds its errors: the code comes from `REASONS`. */
export function keelError(reason: KeelReason, details: string, metadata?: Metadata, origin: 'local' | 'remote' = 'local'): KeelError {
  return new KeelError(REASONS[reason].code, reason, details, metadata, origin);
}

/** The caller's signal aborted, or the consumer left a response stream. */
export function cancelled(details = 'the call was cancelled by its signal'): KeelError {
  return keelError('cancelled', details);
}

/** The caller's own request stream threw: the call was cancelled; `cause` is what it threw. */
export function requestStreamFailed(thrown: unknown): KeelError {
  const err = cancelled(`the request stream threw: ${thrown instanceof Error ? thrown.message : String(thrown)}`);
  Object.defineProperty(err, 'cause', { value: thrown, enumerable: false });
  return err;
}

/** The deadline passed before (or while) keel could send the call. */
export function deadlineExceeded(details = 'the deadline passed before the call was sent'): KeelError {
  return keelError('deadline', details);
}

/** True when `err` is a keel error, optionally with the given reason. */
export function isKeelError(err: unknown, reason?: KeelReason): err is KeelError {
  return err instanceof KeelError && (reason === undefined || err.reason === reason);
}

/** True when this process refused the call itself: such errors say nothing about any backend. */
export function isLocalRefusal(err: unknown): boolean {
  return err instanceof KeelError && err.origin === 'local';
}

/** A grpc-js style error: what callers of grpc-js (and keel) receive. */
export interface StatusError extends Error {
  code: status;
  details: string;
  metadata: Metadata;
}

/** True when `err` carries a valid numeric gRPC status code. */
export function hasStatusCode(err: unknown): err is Error & { code: status } {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'number' && Number.isInteger(code) && code >= 0 && code <= 16;
}

/**
 * Turns a grpc-js error received by a client into what keel callers see: a server-side keel reason
 * (sent as the `keel-reason` trailer) or a missed deadline becomes a `remote` `KeelError`; anything else
 * passes through, its message (not `details`) cleaned of grpc-js's dangling fragments (`cleanTransportMessage`).
 */
export function fromServiceError(err: StatusError): StatusError {
  const sent = err.metadata?.get(REASON_METADATA_KEY)[0];
  if (typeof sent === 'string' && Object.prototype.hasOwnProperty.call(REASONS, sent)) {
    return new KeelError(err.code, sent as KeelReason, err.details, err.metadata, 'remote');
  }
  if (err.code === status.DEADLINE_EXCEEDED) {
    return new KeelError(err.code, 'deadline', err.details, err.metadata, 'remote');
  }
  let message = err.message;
  if (err.code === status.INTERNAL && connectionDestroyed(err)) {
    err.code = status.UNAVAILABLE;
    message = message.replace(/^13 INTERNAL: /, '14 UNAVAILABLE: ');
  }
  // The message only: `details` stays what grpc-js reported, for code that matches on it.
  message = cleanTransportMessage(message);
  if (message !== err.message) {
    err.message = message;
    // The stack's header was written with the raw message: it says the caller's message too.
    if (typeof err.stack === 'string') err.stack = stackWithMessage(err.stack, err.name, message);
  }
  return err;
}

/**
 * How grpc-js reports a call whose connection Node's HTTP/2 client destroyed, on a GOAWAY with an error code
 * (nghttp2's stream-reset limit sends INTERNAL_ERROR: see src/server/stream-resets.ts). The RST_STREAM is made
 * up by the client for every stream of the connection; no server said INTERNAL. It is a lost connection, as
 * grpc-js's own "Connection dropped" (UNAVAILABLE) is: the server may have run the handler (streams up to the
 * GOAWAY's last stream id) or not, so it is retried for idempotent methods only.
 */
const SESSION_DESTROYED = /^Received RST_STREAM with code \d+ triggered by internal client error: Session closed with error code \d+/;

function connectionDestroyed(err: StatusError): boolean {
  // A status a server sent carries its response headers (content-type); this one is made up locally.
  return typeof err.details === 'string' && SESSION_DESTROYED.test(err.details) && !(err.metadata?.get('content-type').length > 0);
}
