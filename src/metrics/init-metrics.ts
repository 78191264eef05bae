import type { AddressInfo } from 'node:net';
import { metrics } from '@opentelemetry/api';
import { describe } from '../address';
import { knownKeys, nonEmptyString, positiveMs } from '../options';
import { loadPeer } from '../peer';

export type MetricsExporter = 'otlp' | 'prometheus' | 'console' | 'none';

export interface InitMetricsOptions {
  /** `service.name` of the metrics. Required. */
  serviceName: string;
  /**
   * Where metrics go. Default: env `OTEL_METRICS_EXPORTER` (the standard variable), else `otlp` (OTLP over
   * HTTP/protobuf, pushed every `intervalMs`). `prometheus`: a text endpoint at
   * `http://<host>:<port>/metrics` that Prometheus scrapes. `console`: stdout. `none`: recorded, not exported.
   */
  exporter?: MetricsExporter;
  /**
   * prometheus: the port to serve on. Default: env `OTEL_EXPORTER_PROMETHEUS_PORT`, else 9464 (Prometheus's
   * registered port for OpenTelemetry). 0 picks a free port (see the handle's `url`).
   */
  port?: number;
  /** prometheus: the interface to bind. Default: env `OTEL_EXPORTER_PROMETHEUS_HOST`, else all interfaces. */
  host?: string;
  /**
   * otlp: the collector's base URL (`http://127.0.0.1:4318`; `/v1/metrics` is added). Default: the standard
   * `OTEL_EXPORTER_OTLP_METRICS_ENDPOINT` / `OTEL_EXPORTER_OTLP_ENDPOINT`, else localhost:4318.
   */
  endpoint?: string;
  /** otlp / console: how often metrics are pushed. Default: env `OTEL_METRIC_EXPORT_INTERVAL`, else 60000. */
  intervalMs?: number;
}

export interface MetricsHandle {
  /** prometheus: where the metrics are served, e.g. `http://127.0.0.1:9464/metrics`. */
  readonly url: string | undefined;
  /** Pushes what was recorded so far (otlp / console). */
  forceFlush(): Promise<void>;
  /** Exports what is left, stops the exporter (and the Prometheus server) and removes the global provider. */
  shutdown(): Promise<void>;
}

/** What to install for metrics (the 2.x / 0.2xx line runs on Node 20; 3.x needs Node ≥ 22.15). */
export function metricsInstallCommand(version: string = process.versions.node): string {
  const [major = 0, minor = 0] = version.split('.').map(Number);
  const v3 = major > 22 || (major === 22 && minor >= 15);
  return v3
    ? '@opentelemetry/sdk-metrics @opentelemetry/resources @opentelemetry/exporter-prometheus @opentelemetry/exporter-metrics-otlp-proto'
    : '@opentelemetry/sdk-metrics@2 @opentelemetry/resources@2 @opentelemetry/exporter-prometheus@0.223 @opentelemetry/exporter-metrics-otlp-proto@0.223';
}

/**
 * Sets up OpenTelemetry metrics for a keel process, the twin of `initTracing`: a global MeterProvider with
 * `service.name` and the chosen exporter, for the `metrics()` wrapper and `resilienceMetrics()`. The SDK
 * is the application's (optional peer dependencies), loaded only when this is called. Call it before
 * creating clients and servers: they look the meter up when they are created.
 * @example const m = await initMetrics({ serviceName: 'basis', exporter: 'prometheus', port: 9464 }); … await m.shutdown();
 */
export async function initMetrics(options: InitMetricsOptions): Promise<MetricsHandle> {
  if (typeof options !== 'object' || options === null) throw new TypeError('initMetrics: options with a serviceName are required');
  knownKeys(options, ['serviceName', 'exporter', 'port', 'host', 'endpoint', 'intervalMs'], 'initMetrics');
  const serviceName = nonEmptyString(options.serviceName, 'initMetrics: serviceName');
  const kind = options.exporter ?? ((process.env.OTEL_METRICS_EXPORTER?.trim() || 'otlp') as MetricsExporter);
  if (!KINDS.includes(kind)) {
    throw new RangeError(`initMetrics: exporter must be 'otlp', 'prometheus', 'console' or 'none', got ${describe(kind)}`);
  }
  const port = options.port;
  if (port !== undefined && !(Number.isInteger(port) && port >= 0 && port <= 65535)) {
    throw new RangeError(`initMetrics: port must be an integer in [0, 65535], got ${describe(port)}`);
  }
  if (options.host !== undefined) nonEmptyString(options.host, 'initMetrics: host');
  if (options.endpoint !== undefined) {
    try {
      new URL(options.endpoint);
    } catch {
      throw new TypeError(`initMetrics: endpoint must be a URL, got ${describe(options.endpoint)}`);
    }
  }
  const envInterval = Number(process.env.OTEL_METRIC_EXPORT_INTERVAL);
  const intervalMs = positiveMs(options.intervalMs ?? (envInterval > 0 ? envInterval : 60_000), 'initMetrics: intervalMs');

  const install = metricsInstallCommand();
  const sdk = loadPeer<typeof import('@opentelemetry/sdk-metrics')>('@opentelemetry/sdk-metrics', 'initMetrics', install);
  const { resourceFromAttributes } = loadPeer<typeof import('@opentelemetry/resources')>('@opentelemetry/resources', 'initMetrics', install);
  const periodic = (exporter: unknown): unknown =>
    new sdk.PeriodicExportingMetricReader({ exporter: exporter as never, exportIntervalMillis: intervalMs, exportTimeoutMillis: Math.min(30_000, intervalMs) });

  let reader: unknown;
  let url: string | undefined;
  if (kind === 'prometheus') {
    const { PrometheusExporter } = loadPeer<typeof import('@opentelemetry/exporter-prometheus')>(
      '@opentelemetry/exporter-prometheus', "initMetrics' prometheus exporter", install);
    const exporter = new PrometheusExporter({
      preventServerStart: true,
      ...(port !== undefined ? { port } : {}),
      ...(options.host !== undefined ? { host: options.host } : {}),
    });
    await exporter.startServer();
    // The exporter does not say which port 0 became: its server does.
    const bound = (exporter as unknown as { _server?: { address(): AddressInfo | string | null } })._server?.address();
    const boundPort = typeof bound === 'object' && bound !== null ? bound.port : port ?? 9464;
    const host = options.host ?? process.env.OTEL_EXPORTER_PROMETHEUS_HOST ?? 'localhost';
    url = `http://${host.includes(':') ? `[${host}]` : host}:${boundPort}/metrics`;
    reader = exporter;
  } else if (kind === 'otlp') {
    const { OTLPMetricExporter } = loadPeer<typeof import('@opentelemetry/exporter-metrics-otlp-proto')>(
      '@opentelemetry/exporter-metrics-otlp-proto', "initMetrics' otlp exporter", install);
    const endpoint = options.endpoint;
    reader = periodic(new OTLPMetricExporter(endpoint === undefined ? {} : { url: new URL('v1/metrics', endpoint.endsWith('/') ? endpoint : `${endpoint}/`).href }));
  } else if (kind === 'console') {
    reader = periodic(new sdk.ConsoleMetricExporter());
  }
  const provider = new sdk.MeterProvider({
    resource: resourceFromAttributes({ 'service.name': serviceName }),
    readers: reader === undefined ? [] : [reader as never],
  });
  metrics.setGlobalMeterProvider(provider);
  let done: Promise<void> | undefined;
  return {
    url,
    forceFlush: () => provider.forceFlush(),
    shutdown: () => (done ??= provider.shutdown().finally(() => metrics.disable())),
  };
}

const KINDS: readonly unknown[] = ['otlp', 'prometheus', 'console', 'none'];
