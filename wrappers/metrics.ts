import { metrics as otelMetrics, type Meter } from '@opentelemetry/api';
import type { Wrapper } from '../src/call';
import { knownKeys } from '../src/options';
import { MethodAttributes, rpcInstruments, type RpcInstruments } from '../src/metrics/rpc-metrics';
import { rpcNames } from '../src/tracing/rpc-names';
import { wasSkipped } from '../src/server/gone';
import { skippedCounter } from '../src/metrics/skipped';

export interface MetricsOptions {
  /**
   * The meter to record with. Default: `metrics.getMeter('keel')` from the global provider (see
   * `initMetrics`), looked up when the client or server is created: set the provider up first.
   */
  meter?: Meter;
}

/** Instruments per meter: every client and server on one meter shares them. */
const byMeter = new WeakMap<Meter, { client?: RpcInstruments; server?: RpcInstruments }>();

function instruments(meter: Meter, side: 'client' | 'server'): RpcInstruments {
  let sides = byMeter.get(meter);
  if (sides === undefined) byMeter.set(meter, (sides = {}));
  return (sides[side] ??= rpcInstruments(meter, side));
}

/**
 * Client and handler wrapper: OpenTelemetry RPC duration histograms for every call of every kind, on
 * `@opentelemetry/api` only (the application owns the SDK; `initMetrics` sets one up). A call is measured
 * from when it reaches this wrapper until its final status (a stream's end, or `cancelled` when the
 * consumer stops reading), through `ctx.onEnd`.
 * - Client: `rpc.client.call.duration` (seconds) with `rpc.method`, `rpc.response.status_code`,
 *   `error.type`, `server.address` / `server.port` of the node called, and `keel.reason` when keel refused
 *   the call (`circuit_open`, `rate_limited`, `no_nodes`, `deadline`, `cancelled`…).
 * - Handler: `rpc.server.call.duration`, the same without the server address; and `keel.server.skipped`, a
 *   counter of calls whose handler was never run because their caller had gone before it would start
 *   (`keel.reason`: `deadline` or `cancelled`), e.g. while they waited in a queue.
 * - Where it sits decides what it counts: above a wrapper that calls `next` again (retry, hedging) it sees
 *   one duration per call; below it, one per attempt (each with its own node). Use two instances to see
 *   both. Above `rateLimit` the wait for a token is included; below it, not.
 * The older `rpc.client.duration` / `rpc.server.duration` (ms) as well with
 * `OTEL_SEMCONV_STABILITY_OPT_IN=rpc/dup` (see src/metrics/rpc-metrics.ts).
 * @example wrapClient(metrics(), retry(), roundRobin()); wrapHandler(metrics())
 */
export function metrics(options: MetricsOptions = {}): Wrapper {
  knownKeys(options, ['meter'], 'metrics');
  const given = options.meter;
  if (given !== undefined && typeof given?.createHistogram !== 'function') throw new TypeError('metrics: meter must be an OpenTelemetry Meter');

  return {
    name: 'metrics',
    client: (next, method) => {
      const { current, old } = instruments(given ?? otelMetrics.getMeter('keel'), 'client');
      const attributes = new MethodAttributes(rpcNames(method.method), 'client');
      return (request, ctx) => {
        const started = performance.now();
        ctx.onEnd((error) => {
          const ms = performance.now() - started;
          const address = ctx.node?.address;
          current.record(ms / 1000, attributes.current(error, address));
          old?.record(ms, attributes.old(error, address));
        });
        return next(request, ctx);
      };
    },
    handler: (next, method) => {
      const meter = given ?? otelMetrics.getMeter('keel');
      const { current, old } = instruments(meter, 'server');
      const skipped = skippedCounter(meter);
      const attributes = new MethodAttributes(rpcNames(method.method), 'server');
      return (request, ctx) => {
        const started = performance.now();
        ctx.onEnd((error) => {
          const ms = performance.now() - started;
          if (error !== undefined && wasSkipped(error)) skipped.add(1, attributes.current(error, undefined));
          current.record(ms / 1000, attributes.current(error, undefined));
          old?.record(ms, attributes.old(error, undefined));
        });
        return next(request, ctx);
      };
    },
  };
}
