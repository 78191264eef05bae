import type { ContextManager, Sampler, TextMapPropagator, TracerProvider } from '@opentelemetry/api';
import { loadPeer } from '../peer';
import type { PropagatorName } from './propagators';
import type { SpanExporterLike } from './init-tracing';
import { tracingResource } from './resource';
import type { ProcessIdentity } from './process-node';

/**
 * The OpenTelemetry SDK the application installed, on either line: 3.x (Node ≥ 22.15) or 2.x (Node 20).
 * `@opentelemetry/sdk-trace` has the same API in both (2.9 onwards; 3.x dropped `sdk-trace-base` and
 * `sdk-trace-node`), so keel uses it on both. None of this is a dependency of keel: each package is loaded
 * here, when `initTracing` runs, from the application's node_modules.
 */
export interface Sdk {
  newProvider(options: { resource: unknown; sampler: Sampler; spanProcessors: unknown[] }): TracerProvider & {
    forceFlush(): Promise<void>;
    shutdown(): Promise<void>;
  };
  parentBased(root: Sampler): Sampler;
  alwaysOn(): Sampler;
  ratio(ratio: number): Sampler;
  batch(exporter: SpanExporterLike, delayMs: number): unknown;
  console(): SpanExporterLike;
  /** A setup's resource, with its identity once settled: see `./resource.ts`. */
  resource(serviceName: string | undefined, identity: Promise<ProcessIdentity>): unknown;
  contextManager(): ContextManager;
  /** The named propagators (see `./propagators.ts`), in that order. */
  propagator(names: readonly PropagatorName[]): TextMapPropagator;
}

const TRACE = '@opentelemetry/sdk-trace';

/** What to install for tracing on this Node: the 3.x line where it runs (Node ≥ 22.15), else 2.x. */
export function sdkInstallCommand(version: string = process.versions.node): string {
  const [major = 0, minor = 0] = version.split('.').map(Number);
  const v3 = major > 22 || (major === 22 && minor >= 15);
  const pkgs = [TRACE, '@opentelemetry/core', '@opentelemetry/resources', '@opentelemetry/context-async-hooks'];
  return v3
    ? [...pkgs, '@opentelemetry/exporter-trace-otlp-proto'].join(' ')
    : [...pkgs.map((p) => `${p}@2`), '@opentelemetry/exporter-trace-otlp-proto@0.223'].join(' ');
}

export function loadSdk(): Sdk {
  const install = sdkInstallCommand();
  const load = <T>(name: string): T => loadPeer<T>(name, 'initTracing', install);
  const t = load<typeof import('@opentelemetry/sdk-trace')>(TRACE);
  const Provider = t.TracerProvider as unknown as new (o: object) => ReturnType<Sdk['newProvider']>;
  const core = load<typeof import('@opentelemetry/core')>('@opentelemetry/core');
  const resources = load<typeof import('@opentelemetry/resources')>('@opentelemetry/resources');
  const { AsyncLocalStorageContextManager } = load<typeof import('@opentelemetry/context-async-hooks')>('@opentelemetry/context-async-hooks');
  return {
    newProvider: (options) => new Provider(options),
    parentBased: (root) => new t.ParentBasedSampler({ root }),
    alwaysOn: () => new t.AlwaysOnSampler(),
    ratio: (ratio) => new t.TraceIdRatioBasedSampler(ratio),
    // An options object, unlike sdk-trace-base's BatchSpanProcessor(exporter).
    batch: (exporter, delayMs) => new (t.BatchSpanProcessor as unknown as new (o: unknown) => unknown)({ exporter, scheduledDelayMillis: delayMs }),
    console: () => new t.ConsoleSpanExporter() as SpanExporterLike,
    resource: (serviceName, identity) => tracingResource(resources, serviceName, identity),
    contextManager: () => new AsyncLocalStorageContextManager().enable(),
    propagator: (names) => {
      const propagators: TextMapPropagator[] = [];
      if (!names.includes('none')) {
        for (const name of names) {
          if (name === 'tracecontext') propagators.push(new core.W3CTraceContextPropagator());
          else if (name === 'baggage') propagators.push(new core.W3CBaggagePropagator());
          else if (name === 'jaeger') {
            // Frozen at 2.x upstream (gone from 3.x's list): the application installs it when it asks for it.
            const { JaegerPropagator } = loadPeer<typeof import('@opentelemetry/propagator-jaeger')>(
              '@opentelemetry/propagator-jaeger', "initTracing's jaeger propagator", '@opentelemetry/propagator-jaeger@2');
            propagators.push(new JaegerPropagator());
          }
        }
      }
      return new core.CompositePropagator({ propagators });
    },
  };
}
