import { metrics } from '@opentelemetry/api';
import { describe } from '../address';
import { knownKeys, nonEmptyString, positiveMs } from '../options';
import { loadPeer } from '../peer';
import { serveMetrics, type ServedMetrics } from './prometheus-server';

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
   * registered port for OpenTelemetry). 0 binds a free port the OS picks (the handle's `url` says which).
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

interface MetricsHandleBase {
  /** Pushes what was recorded so far (otlp / console). */
  forceFlush(): Promise<void>;
  /** Exports what is left, stops the exporter (and the Prometheus server) and removes the global provider. */
  shutdown(): Promise<void>;
}

/** What `initMetrics({ exporter: 'prometheus' })` returns: the scrape URL always exists. */
export interface PrometheusMetricsHandle extends MetricsHandleBase {
  readonly exporter: 'prometheus';
  /** Where the metrics are served, with the port actually bound, e.g. `http://127.0.0.1:9464/metrics`. */
  readonly url: string;
}

/** What `initMetrics` returns for a pushing (or no) exporter: nothing to scrape. */
export interface PushMetricsHandle extends MetricsHandleBase {
  readonly exporter: Exclude<MetricsExporter, 'prometheus'>;
  readonly url: undefined;
}

/**
 * The handle `initMetrics` returns, discriminated on `exporter`: `url` is a `string` for `prometheus`,
 * `undefined` otherwise. `MetricsHandle<'prometheus'>` is the Prometheus one.
 */
export type MetricsHandle<K extends MetricsExporter = MetricsExporter> = K extends 'prometheus' ? PrometheusMetricsHandle : PushMetricsHandle;

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
export async function initMetrics<K extends MetricsExporter = MetricsExporter>(options: InitMetricsOptions & { exporter?: K }): Promise<MetricsHandle<K>> {
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
  let served: ServedMetrics | undefined;
  if (kind === 'prometheus') {
    const { PrometheusExporter } = loadPeer<typeof import('@opentelemetry/exporter-prometheus')>(
      '@opentelemetry/exporter-prometheus', "initMetrics' prometheus exporter", install);
    const exporter = new PrometheusExporter({ preventServerStart: true });
    const envPort = Number(process.env.OTEL_EXPORTER_PROMETHEUS_PORT?.trim() || NaN);
    const chosen = port ?? (Number.isInteger(envPort) && envPort >= 0 && envPort <= 65535 ? envPort : 9464);
    served = await serveMetrics(exporter, chosen, options.host ?? (process.env.OTEL_EXPORTER_PROMETHEUS_HOST?.trim() || undefined));
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
  const base: MetricsHandleBase = {
    forceFlush: () => provider.forceFlush(),
    shutdown: () => (done ??= provider.shutdown().finally(() => Promise.all([served?.close(), metrics.disable()]).then(() => undefined))),
  };
  const handle: PrometheusMetricsHandle | PushMetricsHandle = served !== undefined
    ? { ...base, exporter: 'prometheus', url: served.url }
    : { ...base, exporter: kind as PushMetricsHandle['exporter'], url: undefined };
  return handle as MetricsHandle<K>;
}

const KINDS: readonly unknown[] = ['otlp', 'prometheus', 'console', 'none'];
