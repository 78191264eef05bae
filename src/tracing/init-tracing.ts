import { context, propagation, trace } from '@opentelemetry/api';
import { describe } from '../address';
import { knownKeys, nonEmptyString, nonNegativeMs } from '../options';
import { attachIdentity, nodeIdentity, type NodeIdentity } from './process-node';
import { loadPeer } from '../peer';
import { loadSdk, sdkInstallCommand } from './sdk';
import { propagatorNames, type PropagatorName } from './propagators';

export type TracingExporter = 'otlp' | 'jaeger' | 'console' | 'none';

/**
 * An OpenTelemetry `SpanExporter` of either SDK line (2.x `sdk-trace-base`, 3.x `sdk-trace`), described
 * here so that keel's types need neither package.
 */
export interface SpanExporterLike {
  export(spans: unknown[], resultCallback: (result: { code: number; error?: Error }) => void): void;
  shutdown(): Promise<void>;
  forceFlush?(): Promise<void>;
}

export interface InitTracingOptions {
  /**
   * `service.name` of the spans. Given, it wins over the environment (as the SDK's own options do); omitted,
   * the standard `OTEL_SERVICE_NAME`, else `service.name` in `OTEL_RESOURCE_ATTRIBUTES`, else
   * `unknown_service:node`. The rest of the resource: see `./resource.ts` (README, "Tracing").
   */
  serviceName?: string;
  /**
   * Where spans go. Default: env `OTEL_TRACES_EXPORTER` (the standard variable), else `otlp` (OTLP over
   * HTTP/protobuf; Jaeger ingests it natively since 1.35).
   * `jaeger` (legacy): Jaeger Thrift over HTTP, for collectors that only speak Thrift, when the application
   * installs `@opentelemetry/exporter-jaeger` (deprecated upstream, 2.x only). `console`: stdout. `none`: spans are made (for context propagation) but not exported.
   * A `SpanExporter` object is used as given.
   */
  exporter?: TracingExporter | SpanExporterLike;
  /**
   * otlp: the collector's base URL (`http://127.0.0.1:4318`; `/v1/traces` is added), default from the
   * standard `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` / `OTEL_EXPORTER_OTLP_ENDPOINT`, else localhost:4318.
   * jaeger: the collector's Thrift HTTP URL (`http://127.0.0.1:14268/api/traces`); default: env
   * `OTEL_EXPORTER_JAEGER_ENDPOINT`, else the UDP agent on localhost:6832.
   */
  endpoint?: string;
  /**
   * How long ended spans wait in the batch before export, in ms. Default: env `OTEL_BSP_SCHEDULE_DELAY`
   * (the standard variable), else 5000. Spans still waiting when the process is killed are lost: a short
   * delay loses less, `forceFlush()` / `shutdown()` on a clean stop lose nothing.
   */
  exportDelayMs?: number;
  /** Fraction of root traces sampled (parent-based: a caller's decision is followed). Default 1. */
  sampleRatio?: number;
  /**
   * The context propagators, by their `OTEL_PROPAGATORS` names: `tracecontext` (W3C `traceparent` +
   * `tracestate`), `baggage` (W3C), `jaeger` (Jaeger's `uber-trace-id`: needs `@opentelemetry/propagator-jaeger`
   * installed), `none`. Default: env `OTEL_PROPAGATORS`, else `['tracecontext', 'baggage']`. Jaeger and
   * go-micro read W3C; ask for `jaeger` only for peers that read nothing else.
   */
  propagators?: PropagatorName[];
}

export interface TracingHandle {
  /** Exports every span ended so far (the batch processor otherwise waits up to `exportDelayMs`). */
  forceFlush(): Promise<void>;
  /** Flushes buffered spans, shuts the exporter down and removes the global provider. */
  shutdown(): Promise<void>;
}

/**
 * Sets up OpenTelemetry for a keel process: a tracer provider with a BatchSpanProcessor, W3C trace
 * context + baggage propagation (Jaeger's `uber-trace-id` only when `propagators` or `OTEL_PROPAGATORS`
 * asks for it), an AsyncLocalStorage context manager, and the chosen exporter, all registered globally.
 * The SDK is the application's (optional peer dependencies, 3.x or 2.x line: see `./sdk.ts`), loaded
 * only when this is called; the wrappers themselves need only `@opentelemetry/api`.
 * @example const tracing = initTracing({ serviceName: 'basis-client' }); … await tracing.shutdown();
 */
export function initTracing(options: InitTracingOptions): TracingHandle {
  if (typeof options !== 'object' || options === null) throw new TypeError('initTracing: an options object is required');
  knownKeys(options, ['serviceName', 'exporter', 'endpoint', 'exportDelayMs', 'sampleRatio', 'propagators'], 'initTracing');
  const propagators = propagatorNames(options.propagators);
  const serviceName = options.serviceName === undefined ? undefined : nonEmptyString(options.serviceName, 'initTracing: serviceName');
  const delayMs = options.exportDelayMs === undefined ? delayFromEnv() : nonNegativeMs(options.exportDelayMs, 'initTracing: exportDelayMs');
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
  const kind = options.exporter ?? (fromEnv || 'otlp');
  if (typeof kind !== 'object' && !KINDS.includes(kind)) throw invalidExporter(kind); // before anything is loaded
  const sdk = loadSdk();
  const propagator = sdk.propagator(propagators); // before anything is registered: a missing peer throws here
  const exporter = makeExporter(kind, options.endpoint, sdk.console);

  // This setup's own identity (the first server started under it), not a process-wide one: see ./process-node.ts.
  const identity = nodeIdentity();
  const provider = sdk.newProvider({
    resource: sdk.resource(serviceName, identity.settled),
    // AlwaysOn when everything is sampled: the ratio sampler hashes every trace id for nothing.
    sampler: sdk.parentBased(ratio >= 1 ? sdk.alwaysOn() : sdk.ratio(ratio)),
    // The identity processor first: the batch waits for the resource's identity, which it settles.
    spanProcessors: exporter ? [settles(identity), sdk.batch(exporter, delayMs)] : [],
  });
  attachIdentity(provider, identity);
  // What NodeTracerProvider.register() did on 2.x; 3.x has no register(), so the same on both lines.
  context.setGlobalContextManager(sdk.contextManager());
  propagation.setGlobalPropagator(propagator);
  trace.setGlobalTracerProvider(provider);
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

function makeExporter(kind: TracingExporter | SpanExporterLike, endpoint: string | undefined, console: () => SpanExporterLike): SpanExporterLike | undefined {
  if (typeof kind === 'object' && kind !== null && typeof (kind as SpanExporterLike).export === 'function') return kind as SpanExporterLike;
  switch (kind) {
    case 'otlp': {
      const { OTLPTraceExporter } = loadPeer<typeof import('@opentelemetry/exporter-trace-otlp-proto')>(
        '@opentelemetry/exporter-trace-otlp-proto', "initTracing's otlp exporter", sdkInstallCommand());
      return new OTLPTraceExporter(endpoint === undefined ? {} : { url: new URL('v1/traces', endpoint.endsWith('/') ? endpoint : `${endpoint}/`).href });
    }
    case 'jaeger': {
      const { JaegerExporter } = loadPeer<typeof import('@opentelemetry/exporter-jaeger')>(
        '@opentelemetry/exporter-jaeger', "initTracing's jaeger exporter (legacy)", '@opentelemetry/exporter-jaeger@2');
      return new JaegerExporter(endpoint === undefined ? {} : { endpoint });
    }
    case 'console':
      return console();
    case 'none':
      return undefined;
    default:
      throw invalidExporter(kind);
  }
}

/**
 * `OTEL_BSP_SCHEDULE_DELAY`, else 5000. The SDK's BatchSpanProcessor does not read it (only NodeSDK does);
 * an invalid value is ignored, as the SDK ignores invalid variables.
 */
function delayFromEnv(value: string | undefined = process.env.OTEL_BSP_SCHEDULE_DELAY): number {
  const ms = value === undefined || value.trim() === '' ? NaN : Number(value);
  return Number.isFinite(ms) && ms >= 0 ? ms : 5000;
}

/** A span processor that settles the setup's identity when a span ends before any keel server started (see `./process-node.ts`). */
const settles = (identity: NodeIdentity): object => ({
  onStart: (): void => undefined,
  onEnd: identity.spanEnded,
  forceFlush: (): Promise<void> => Promise.resolve(),
  shutdown: (): Promise<void> => Promise.resolve(),
});

const KINDS: readonly unknown[] = ['otlp', 'jaeger', 'console', 'none'];
const invalidExporter = (kind: unknown): RangeError =>
  new RangeError(`initTracing: exporter must be 'otlp', 'jaeger', 'console', 'none' or a SpanExporter, got ${describe(kind)}`);
