import { ROOT_CONTEXT, trace, INVALID_SPAN_CONTEXT, type Context, type Span } from '@opentelemetry/api';

/**
 * The key under which `@opentelemetry/api` keeps a context's span: `createContextKey` is `Symbol.for(description)`
 * by design (the API's note: every copy of the package must find the same key).
 */
const SPAN_KEY = Symbol.for('OpenTelemetry Context Key SPAN');

/**
 * `parent` with `span` in it, read-only and made without copying: `trace.setSpan` copies the parent's whole map
 * into a new context (~530 bytes, ~150 ns a call, measured in bench/in-process/otel-floor.ts) for a context that a
 * propagator or `startSpan` only reads. Writing to it makes the real one.
 */
class WithSpan implements Context {
  constructor(private readonly parent: Context, private readonly span: Span) {}
  getValue(key: symbol): unknown {
    return key === SPAN_KEY ? this.span : this.parent.getValue(key);
  }
  setValue(key: symbol, value: unknown): Context {
    return trace.setSpan(this.parent, this.span).setValue(key, value);
  }
  deleteValue(key: symbol): Context {
    return trace.setSpan(this.parent, this.span).deleteValue(key);
  }
}

/** Whether the API in use reads a span the way WithSpan keeps it (checked once; else `trace.setSpan` it is). */
function readsWithSpan(): boolean {
  const probe = trace.wrapSpanContext(INVALID_SPAN_CONTEXT);
  return trace.getSpan(new WithSpan(ROOT_CONTEXT, probe)) === probe;
}

/** A context that is `parent` with `span` active, for reading (a propagator's `inject`, a child's `startSpan`). */
export const withSpan: (parent: Context, span: Span) => Context = readsWithSpan()
  ? (parent, span) => new WithSpan(parent, span)
  : (parent, span) => trace.setSpan(parent, span);
