import { status } from '@grpc/grpc-js';
import { hasStatusCode, isLocalRefusal } from '../errors';
import type { Outcome } from './circuit';

/** The codes that say a backend is unhealthy (hystrix-go counts every error; gRPC lets us be precise). */
const FAILURE_CODES: ReadonlySet<number> = new Set([
  status.UNAVAILABLE, status.DEADLINE_EXCEEDED, status.INTERNAL, status.UNKNOWN, status.DATA_LOSS,
]);

/**
 * The default `isFailure`: UNAVAILABLE, DEADLINE_EXCEEDED, INTERNAL, UNKNOWN and DATA_LOSS count; caller
 * errors (INVALID_ARGUMENT, NOT_FOUND, …) do not. An error with no gRPC code counts.
 */
export function defaultIsFailure(err: unknown): boolean {
  return !hasStatusCode(err) || FAILURE_CODES.has(err.code);
}

/**
 * How an attempt's end counts. This process's own refusals (`origin: 'local'`: a limiter, a breaker, no
 * nodes, a deadline that passed before sending, the caller's cancel) say nothing about the backend's health:
 * they never count, whatever isFailure says. The same reasons received from a server count like any status.
 */
export function classify(err: unknown, isFailure: (err: unknown) => boolean): Outcome {
  if (err === undefined) return 'success';
  if (isLocalRefusal(err)) return 'ignore';
  return isFailure(err) ? 'failure' : 'success';
}
