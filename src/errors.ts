import { Metadata, status } from '@grpc/grpc-js';

/**
 * Why keel itself failed a call. Stable strings: match on these, never on messages.
 * - `no_nodes`: nothing usable is registered under the service name (UNAVAILABLE).
 * - `deadline`: the call's deadline passed, or could not be met (DEADLINE_EXCEEDED).
 * - `cancelled`: the caller's signal aborted the call (CANCELLED).
 * - `rate_limited`: a rate limiter refused the call (RESOURCE_EXHAUSTED).
 * - `circuit_open`: a circuit breaker refused the call (UNAVAILABLE).
 * - `max_concurrent`: a breaker's concurrency cap refused the call (RESOURCE_EXHAUSTED).
 * - `bad_option`: a per-call option was invalid (INVALID_ARGUMENT).
 */
export type KeelReason =
  | 'no_nodes'
  | 'deadline'
  | 'cancelled'
  | 'rate_limited'
  | 'circuit_open'
  | 'max_concurrent'
  | 'bad_option';

const REASONS: ReadonlySet<string> = new Set<KeelReason>([
  'no_nodes', 'deadline', 'cancelled', 'rate_limited', 'circuit_open', 'max_concurrent', 'bad_option',
]);

/** Trailer that carries a keel reason from a server to its caller. */
export const REASON_METADATA_KEY = 'keel-reason';

/**
 * An error keel produced. Shaped like grpc-js's `ServiceError` (`code`, `details`, `metadata`), so code
 * written for grpc-js handles it unchanged, plus a stable `reason`.
 */
export class KeelError extends Error {
  override readonly name = 'KeelError';
  readonly code: status;
  readonly details: string;
  readonly metadata: Metadata;
  readonly reason: KeelReason;

  constructor(code: status, reason: KeelReason, details: string, metadata?: Metadata) {
    super(`${code} ${status[code]}: ${details}`);
    this.code = code;
    this.reason = reason;
    this.details = details;
    this.metadata = metadata ?? new Metadata();
  }
}

/** True when `err` is a keel error, optionally with the given reason. */
export function isKeelError(err: unknown, reason?: KeelReason): err is KeelError {
  return err instanceof KeelError && (reason === undefined || err.reason === reason);
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
 * (sent as the `keel-reason` trailer) or a missed deadline becomes a `KeelError`; anything else passes
 * through untouched.
 */
export function fromServiceError(err: StatusError): StatusError {
  const sent = err.metadata?.get(REASON_METADATA_KEY)[0];
  if (typeof sent === 'string' && REASONS.has(sent)) {
    return new KeelError(err.code, sent as KeelReason, err.details, err.metadata);
  }
  if (err.code === status.DEADLINE_EXCEEDED) {
    return new KeelError(err.code, 'deadline', err.details, err.metadata);
  }
  return err;
}
