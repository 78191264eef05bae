import { initTracing, type TracingHandle } from '../../src/index';

/**
 * Tracing for the demo processes, configured the standard OpenTelemetry way: `OTEL_TRACES_EXPORTER`
 * (`otlp`, `jaeger`, `console`, `none`) if set; else OTLP when an endpoint is set
 * (`OTEL_EXPORTER_OTLP_ENDPOINT`, e.g. a Jaeger at http://127.0.0.1:4318); else spans are made and
 * propagated (so trace ids show up) but not exported.
 */
export function setupTracing(serviceName: string): TracingHandle {
  if (process.env.OTEL_TRACES_EXPORTER) return initTracing({ serviceName });
  const endpoint = process.env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT || process.env.OTEL_EXPORTER_OTLP_ENDPOINT;
  return initTracing({ serviceName, exporter: endpoint ? 'otlp' : 'none' });
}
