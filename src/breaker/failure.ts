import { status } from '@grpc/grpc-js';
import { hasStatusCode, isKeelError, type KeelReason } from '../errors';
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

/** keel's own refusals say nothing about the backend's health: they never count, whatever isFailure says. */
const NEUTRAL: ReadonlySet<KeelReason> = new Set(['rate_limited', 'circuit_open', 'max_concurrent', 'cancelled', 'no_nodes', 'bad_option']);

export function classify(err: unknown, isFailure: (err: unknown) => boolean): Outcome {
  if (isKeelError(err) && NEUTRAL.has(err.reason)) return 'ignore';
  return isFailure(err) ? 'failure' : 'success';
}
