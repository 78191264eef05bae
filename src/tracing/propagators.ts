import { describe } from '../address';

/** The propagators `initTracing` can set, by their `OTEL_PROPAGATORS` names. */
export type PropagatorName = 'tracecontext' | 'baggage' | 'jaeger' | 'none';

const NAMES: readonly PropagatorName[] = ['tracecontext', 'baggage', 'jaeger', 'none'];

/** The OpenTelemetry default: W3C trace context (`traceparent`, `tracestate`) and W3C baggage. */
const DEFAULT: readonly PropagatorName[] = Object.freeze(['tracecontext', 'baggage']);

/**
 * Which propagators to set: the option when given (validated, naming it), else the standard `OTEL_PROPAGATORS`
 * (comma-separated; names keel does not support are ignored with a warning, as the SDK ignores them), else the
 * default. Jaeger's `uber-trace-id` only when asked for: Jaeger and go-micro read W3C `traceparent`, and a
 * second header on every call costs its formatting and grpc-js's validation (bench/notes/last-gap.md).
 * `none` alone: nothing is injected or extracted.
 */
export function propagatorNames(given: unknown, env: string | undefined = process.env.OTEL_PROPAGATORS): readonly PropagatorName[] {
  if (given !== undefined) {
    if (!Array.isArray(given) || given.length === 0 || !given.every((n) => NAMES.includes(n))) {
      throw new RangeError(`initTracing: propagators must be a non-empty array of ${NAMES.map((n) => `'${n}'`).join(', ')}, got ${describe(given)}`);
    }
    return given as PropagatorName[];
  }
  if (env === undefined || env.trim() === '') return DEFAULT;
  const names: PropagatorName[] = [];
  for (const raw of env.split(',')) {
    const name = raw.trim().toLowerCase();
    if (name === '') continue;
    if (NAMES.includes(name as PropagatorName)) names.push(name as PropagatorName);
    else process.emitWarning(`keel: OTEL_PROPAGATORS names '${name}', which initTracing does not support (it supports ${NAMES.join(', ')}): ignored`);
  }
  return names.length === 0 ? DEFAULT : names;
}
