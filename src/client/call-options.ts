import { Metadata } from '@grpc/grpc-js';
import { describe } from '../address';
import type { CallKind } from '../call/contract';
import { boolean, integer, optionalFunction, positiveMs } from '../options';

/** Per-call options, for every call kind. */
export interface CallOptions {
  /** This call's timeout, overriding the client's (`timeoutMs` for unary, `streamTimeoutMs` for streams). */
  timeoutMs?: number;
  /** An absolute deadline (epoch ms or Date). The earlier of it and `timeoutMs` applies. */
  deadline?: number | Date;
  /** Outgoing metadata. */
  metadata?: Metadata | Record<string, string>;
  /** Aborting it cancels the call. */
  signal?: AbortSignal;
  /** Receives the server's response headers (each attempt's, when a wrapper retries). */
  onHeader?: (metadata: Metadata) => void;
  /** Receives the server's trailers, with the final status, OK or not. */
  onTrailer?: (metadata: Metadata) => void;
  /** At most this many attempts for this call under `retry()` / `hedge()`; 1 turns both off. Default: the wrapper's. */
  maxAttempts?: number;
  /**
   * A call made while a handler serves an inbound call inherits that call's deadline and cancellation (Go's
   * `ctx`): its deadline is the earliest of its own timeout, `deadline` and the inbound deadline, and it is
   * cancelled when the inbound caller goes away. `false` detaches this call from both (Go's
   * `context.WithoutCancel`); `detach(fn)` does the same for everything `fn` calls. Default `true`.
   */
  inherit?: boolean;
}

const KNOWN = new Set(['timeoutMs', 'deadline', 'metadata', 'signal', 'onHeader', 'onTrailer', 'maxAttempts', 'inherit']);

/** The client's defaults a call's options fall back to. */
export interface CallDefaults {
  readonly timeoutMs: number;
  readonly streamTimeoutMs: number;
}

/** The validated options of one call; throws a TypeError/RangeError naming the bad option. */
export interface ResolvedOptions {
  deadline: number | undefined;
  metadata: Metadata;
  signal: AbortSignal | undefined;
  onHeader: ((metadata: Metadata) => void) | undefined;
  onTrailer: ((metadata: Metadata) => void) | undefined;
  maxAttempts: number | undefined;
  /** Take the inbound call's deadline and cancellation (see `CallOptions.inherit`). */
  inherit: boolean;
}

export function resolveOptions(options: CallOptions | undefined, kind: CallKind, defaults: CallDefaults): ResolvedOptions {
  if (options === undefined) {
    return { deadline: deadlineOf(undefined, kind === 'unary' ? defaults.timeoutMs : defaults.streamTimeoutMs), metadata: new Metadata(), signal: undefined, onHeader: undefined, onTrailer: undefined, maxAttempts: undefined, inherit: true };
  }
  if (typeof options !== 'object' || options === null) throw new TypeError(`call options must be an object, got ${describe(options)}`);
  for (const key in options) {
    if (!KNOWN.has(key)) throw new TypeError(`unknown call option "${key}" (known: ${[...KNOWN].join(', ')})`);
  }
  const { signal, onHeader, onTrailer, maxAttempts, inherit = true } = options;
  boolean(inherit, 'inherit');
  if (maxAttempts !== undefined) integer(maxAttempts, 'maxAttempts', 1);
  if (signal !== undefined && !(signal instanceof AbortSignal)) throw new TypeError(`signal must be an AbortSignal, got ${describe(signal)}`);
  optionalFunction(onHeader, 'onHeader');
  optionalFunction(onTrailer, 'onTrailer');
  const timeoutMs = options.timeoutMs === undefined
    ? (kind === 'unary' ? defaults.timeoutMs : defaults.streamTimeoutMs)
    : positiveMs(options.timeoutMs, 'timeoutMs', { allowInfinity: true });
  const deadline = deadlineOf(options.deadline, timeoutMs);
  return { deadline, metadata: metadataOf(options.metadata), signal, onHeader, onTrailer, maxAttempts, inherit };
}

function deadlineOf(given: number | Date | undefined, timeoutMs: number): number | undefined {
  let deadline = Number.isFinite(timeoutMs) ? Date.now() + timeoutMs : undefined;
  if (given !== undefined) {
    const at = given instanceof Date ? given.getTime() : given;
    if (typeof at !== 'number' || Number.isNaN(at)) throw new TypeError(`deadline must be epoch milliseconds or a Date, got ${describe(given)}`);
    if (Number.isFinite(at)) deadline = deadline === undefined ? at : Math.min(deadline, at);
  }
  return deadline;
}

function metadataOf(given: CallOptions['metadata']): Metadata {
  if (given === undefined) return new Metadata();
  if (given instanceof Metadata) return given.clone();
  if (typeof given !== 'object' || given === null) throw new TypeError('metadata must be a grpc Metadata or an object of strings');
  const metadata = new Metadata();
  for (const [key, value] of Object.entries(given)) {
    if (typeof value !== 'string') throw new TypeError(`metadata.${key} must be a string`);
    metadata.set(key, value);
  }
  return metadata;
}
