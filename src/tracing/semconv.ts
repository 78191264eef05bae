import { status } from '@grpc/grpc-js';
import type { Attributes } from '@opentelemetry/api';
import type { RpcNames } from './rpc-names';

/**
 * Which OpenTelemetry RPC semantic conventions the spans carry, chosen as the conventions' migration
 * guide prescribes with the standard `OTEL_SEMCONV_STABILITY_OPT_IN` (a comma-separated list):
 * - `old` (default): the experimental conventions keel always emitted (semconv ≤ 1.37): `rpc.system`,
 *   `rpc.service`, `rpc.method` (the short name), `rpc.grpc.status_code` (a number).
 * - `stable` (`rpc`): the current ones: `rpc.system.name`, `rpc.method` fully qualified
 *   (`basis.Basis/Hello`), `rpc.response.status_code` (the status name, `OK`, `NOT_FOUND`), and
 *   `error.type` (the status name) when the call failed.
 * - `dup` (`rpc/dup`, which wins over `rpc`): both. `rpc.method` is in both sets with different values;
 *   it then holds the stable, fully qualified one (the service stays in `rpc.service`).
 * `server.address` / `server.port` are the same in both, and so is `error.type` (the status name, on a span
 * marked as an error): it is a stable, general attribute (semconv 1.21) that the old RPC conventions did not
 * list but do not contradict, and it is what an operator filters failures by in any mode.
 */
export type SemconvMode = 'old' | 'stable' | 'dup';

/** The mode named by `OTEL_SEMCONV_STABILITY_OPT_IN` (read when a tracing wrapper is created). */
export function semconvMode(optIn: string | undefined = process.env.OTEL_SEMCONV_STABILITY_OPT_IN): SemconvMode {
  const values = (optIn ?? '').split(',').map((v) => v.trim().toLowerCase());
  if (values.includes('rpc/dup')) return 'dup';
  return values.includes('rpc') ? 'stable' : 'old';
}

/** The status codes that make a SERVER span an error under the stable gRPC conventions (a client errs on all but OK). */
const SERVER_ERRORS = new Set<number>([status.UNKNOWN, status.DEADLINE_EXCEEDED, status.UNIMPLEMENTED, status.INTERNAL, status.UNAVAILABLE, status.DATA_LOSS]);

/**
 * Whether a span ending with `code` is an error. The old conventions (and keel before them) mark every
 * failed call; the stable ones mark a server span only for the codes that mean the server failed, not
 * the caller (`NOT_FOUND`, `INVALID_ARGUMENT`… are answers).
 */
export function isErrorStatus(kind: 'client' | 'server', code: number, mode: SemconvMode): boolean {
  if (code === status.OK) return false;
  return kind === 'client' || mode !== 'stable' || SERVER_ERRORS.has(code);
}

/** `NOT_FOUND` for 5; the number as text for a code grpc-js does not name. */
export function statusName(code: number): string {
  const name = (status as unknown as Record<number, string | undefined>)[code];
  return typeof name === 'string' ? name : String(code);
}

/**
 * The attributes a span gets at its start, for the method in `names`: a frozen object that a wrapper makes
 * once per method and gives every call (OpenTelemetry copies attributes into the span).
 */
export function startAttributes(names: RpcNames, mode: SemconvMode): Attributes {
  const old = { 'rpc.system': 'grpc', 'rpc.service': names.service, 'rpc.method': names.method };
  const stable = { 'rpc.system.name': 'grpc', 'rpc.method': names.span };
  return Object.freeze(mode === 'old' ? old : mode === 'stable' ? stable : { ...old, ...stable });
}

/** The attributes a span gets when the call ends with `code` (`error.type` only when it is an error). */
export function endAttributes(kind: 'client' | 'server', code: number, mode: SemconvMode): Attributes {
  const name = statusName(code);
  const old = { 'rpc.grpc.status_code': code, ...(isErrorStatus(kind, code, 'old') ? { 'error.type': name } : {}) };
  const stable = { 'rpc.response.status_code': name, ...(isErrorStatus(kind, code, 'stable') ? { 'error.type': name } : {}) };
  return Object.freeze(mode === 'old' ? old : mode === 'stable' ? stable : { ...old, ...stable });
}

/**
 * `endAttributes` made once per side and code, for one tracing wrapper (its own cache, not the process's):
 * a lookup per call, no object built per call.
 */
export function endAttributesOnce(mode: SemconvMode): (kind: 'client' | 'server', code: number) => Attributes {
  const made = { client: new Map<number, Attributes>(), server: new Map<number, Attributes>() };
  return (kind, code) => {
    const cache = made[kind];
    let attributes = cache.get(code);
    if (attributes === undefined) {
      attributes = endAttributes(kind, code, mode);
      if (cache.size > 1000) cache.clear(); // bounded: codes from other implementations are any number
      cache.set(code, attributes);
    }
    return attributes;
  };
}
