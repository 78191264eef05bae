import { describe } from '../address';
import type { MethodInfo } from '../call/contract';
import { RetryBudget, type RetryBudgetOptions } from './budget';
import { declaredIdempotent } from './retryable';

// The options `retry()` and `hedge()` both take, resolved the same way for both.

/**
 * Which methods may be sent again after the request may have reached the server: `true` (all), `false`
 * (none), method paths, or a predicate.
 */
export type Idempotency = boolean | readonly string[] | ((method: MethodInfo) => boolean);

/** The budget a wrapper spends: the one given, one made from options, or none (`false`). */
export function budgetOf(given: RetryBudget | RetryBudgetOptions | false | undefined, where: string): RetryBudget | undefined {
  if (given === false) return undefined;
  if (given instanceof RetryBudget) return given;
  if (given !== undefined && (typeof given !== 'object' || given === null)) {
    throw new TypeError(`${where}: budget must be a RetryBudget, its options or false, got ${describe(given)}`);
  }
  return new RetryBudget(given);
}

/** Resolves the `idempotent` option into a per-method test, applied once per method. Default: the proto's `idempotency_level`. */
export function idempotencyOf(given: Idempotency | undefined, where: string): (method: MethodInfo) => boolean {
  if (given === undefined) return declaredIdempotent;
  if (typeof given === 'boolean') return () => given;
  if (typeof given === 'function') return given;
  if (Array.isArray(given) && given.every((p) => typeof p === 'string')) {
    const paths = new Set(given);
    return (method) => paths.has(method.method);
  }
  throw new TypeError(`${where}: idempotent must be a boolean, an array of method paths or a function, got ${describe(given)}`);
}
