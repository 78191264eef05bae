import { context, propagation, trace } from '@opentelemetry/api';
import type { SpanExporter } from '@opentelemetry/sdk-trace-base';
import { describe } from '../address';
import { knownKeys, nonEmptyString } from '../options';

export type TracingExporter = 'otlp' | 'jaeger' | 'console' | 'none';

export interface InitTracingOptions {
  /** `service.name` of the spans. Required. */
  serviceName: string;
  /**
   * Where spans go. Default: env `OTEL_TRACES_EXPORTER` (the standard variable), else `otlp` (OTLP over
   * HTTP/protobuf; Jaeger ingests it natively since 1.35).
   * `jaeger`: Jaeger Thrift over HTTP (`@opentelemetry/exporter-jaeger`, for collectors that only speak
   * Thrift). `console`: stdout. `none`: spans are made (for context propagation) but not exported.
   * A `SpanExporter` object is used as given.
   */
  exporter?: TracingExporter | SpanExporter;
  /**
   * otlp: the collector's base URL (`http://127.0.0.1:4318`; `/v1/traces` is added), default from the
   * standard `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` / `OTEL_EXPORTER_OTLP_ENDPOINT`, else localhost:4318.
   * jaeger: the collector's Thrift HTTP URL (`http://127.0.0.1:14268/api/traces`); default: env
   * `OTEL_EXPORTER_JAEGER_ENDPOINT`, else the UDP agent on localhost:6832.
   */
  endpoint?: string;
  /** Fraction of root traces sampled (parent-based: a caller's decision is followed). Default 1. */
  sampleRatio?: number;
}

export interface TracingHandle {
  /** Exports every span ended so far (the batch processor otherwise waits up to 5 s). */
  forceFlush(): Promise<void>;
  /** Flushes buffered spans, shuts the exporter down and removes the global provider. */
  shutdown(): Promise<void>;
}

/**
 * Sets up OpenTelemetry for a keel process: a NodeTracerProvider with a BatchSpanProcessor, W3C trace
 * context + baggage + Jaeger (`uber-trace-id`) propagation, async context, and the chosen exporter.
 * The SDK is loaded only when this is called; the wrappers themselves need only `@opentelemetry/api`.
 * @example const tracing = initTracing({ serviceName: 'basis-client' }); … await tracing.shutdown();
 */
export function initTracing(options: InitTracingOptions): TracingHandle {
  if (typeof options !== 'object' || options === null) throw new TypeError('initTracing: options with a serviceName are required');
  knownKeys(options, ['serviceName', 'exporter', 'endpoint', 'sampleRatio'], 'initTracing');
  const serviceName = nonEmptyString(options.serviceName, 'initTracing: serviceName');
  const ratio = options.sampleRatio ?? 1;
  if (typeof ratio !== 'number' || !(ratio >= 0 && ratio <= 1)) throw new RangeError(`initTracing: sampleRatio must be in [0, 1], got ${describe(ratio)}`);
  if (options.endpoint !== undefined) {
    try {
      new URL(options.endpoint);
    } catch {
      throw new TypeError(`initTracing: endpoint must be a URL, got ${describe(options.endpoint)}`);
    }
  }
  const fromEnv = process.env.OTEL_TRACES_EXPORTER?.trim() as TracingExporter | undefined;
  const exporter = makeExporter(options.exporter ?? (fromEnv || 'otlp'), options.endpoint);

  /* eslint-disable @typescript-eslint/no-require-imports */
  const { NodeTracerProvider } = require('@opentelemetry/sdk-trace-node') as typeof import('@opentelemetry/sdk-trace-node');
  const base = require('@opentelemetry/sdk-trace-base') as typeof import('@opentelemetry/sdk-trace-base');
  const { resourceFromAttributes } = require('@opentelemetry/resources') as typeof import('@opentelemetry/resources');
  const core = require('@opentelemetry/core') as typeof import('@opentelemetry/core');
  const { JaegerPropagator } = require('@opentelemetry/propagator-jaeger') as typeof import('@opentelemetry/propagator-jaeger');

  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({ 'service.name': serviceName }),
    // AlwaysOn when everything is sampled: the ratio sampler hashes every trace id for nothing.
    sampler: new base.ParentBasedSampler({ root: ratio >= 1 ? new base.AlwaysOnSampler() : new base.TraceIdRatioBasedSampler(ratio) }),
    spanProcessors: exporter ? [new base.BatchSpanProcessor(exporter)] : [],
  });
  provider.register({
    propagator: new core.CompositePropagator({
      propagators: [new core.W3CTraceContextPropagator(), new core.W3CBaggagePropagator(), new JaegerPropagator()],
    }),
  });
  let done: Promise<void> | undefined;
  return {
    forceFlush: () => provider.forceFlush(),
    shutdown: () => (done ??= provider.shutdown().finally(() => {
      trace.disable();
      context.disable();
      propagation.disable();
    })),
  };
}

function makeExporter(kind: TracingExporter | SpanExporter, endpoint: string | undefined): SpanExporter | undefined {
  if (typeof kind === 'object' && kind !== null && typeof (kind as SpanExporter).export === 'function') return kind as SpanExporter;
  switch (kind) {
    case 'otlp': {
      const { OTLPTraceExporter } = require('@opentelemetry/exporter-trace-otlp-proto') as typeof import('@opentelemetry/exporter-trace-otlp-proto');
      return new OTLPTraceExporter(endpoint === undefined ? {} : { url: new URL('v1/traces', endpoint.endsWith('/') ? endpoint : `${endpoint}/`).href });
    }
    case 'jaeger': {
      const { JaegerExporter } = require('@opentelemetry/exporter-jaeger') as typeof import('@opentelemetry/exporter-jaeger');
      return new JaegerExporter(endpoint === undefined ? {} : { endpoint });
    }
    case 'console': {
      const { ConsoleSpanExporter } = require('@opentelemetry/sdk-trace-base') as typeof import('@opentelemetry/sdk-trace-base');
      return new ConsoleSpanExporter();
    }
    case 'none':
      return undefined;
    default:
      throw new RangeError(`initTracing: exporter must be 'otlp', 'jaeger', 'console', 'none' or a SpanExporter, got ${describe(kind)}`);
  }
}
