import { initTracing, type TracingHandle } from '../../src/index';

/**
 * Tracing for the demo processes, configured the standard OpenTelemetry way: `OTEL_TRACES_EXPORTER`
 * (`otlp`, `jaeger`, `console`, `none`) if set; else OTLP when an endpoint is set
 * (`OTEL_EXPORTER_OTLP_ENDPOINT`, e.g. a Jaeger at http://127.0.0.1:4318); else spans are made and
 * propagated (so trace ids show up) but not exported. `OTEL_RESOURCE_ATTRIBUTES` adds to every process's
 * resource (`deployment.environment.name=dev`); the service names given here win over `OTEL_SERVICE_NAME`,
 * as explicit configuration does (docs/tracing-and-metrics.md, "The tracing resource").
 *
 * Spans wait 100 ms in the batch instead of the SDK's 5 s (unless `OTEL_BSP_SCHEDULE_DELAY` says
 * otherwise): the demo SIGKILLs a server, and a killed process loses the spans still waiting — with 5 s
 * that was every span of the victim, which in the UI looks like broken propagation. A clean stop
 * (SIGTERM, SIGINT) loses nothing: the processes call `shutdown()`, which flushes.
 */
export function setupTracing(serviceName: string): TracingHandle {
  const exportDelayMs = process.env.OTEL_BSP_SCHEDULE_DELAY ? {} : { exportDelayMs: 100 };
  if (process.env.OTEL_TRACES_EXPORTER) return initTracing({ serviceName, ...exportDelayMs });
  const endpoint = process.env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT || process.env.OTEL_EXPORTER_OTLP_ENDPOINT;
  return initTracing({ serviceName, exporter: endpoint ? 'otlp' : 'none', ...exportDelayMs });
}
