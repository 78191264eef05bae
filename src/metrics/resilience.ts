import { metrics as otelMetrics, type Meter } from '@opentelemetry/api';
import type { BreakerWrapper } from '../breaker/breaker-wrapper';
import type { RateLimitWrapper } from '../limit/limit-stats';
import { knownKeys } from '../options';
import type { RegistryObserver } from '../registry/observer';
import { RegistryFacts } from './registry-facts';

export interface ResilienceMetricsOptions {
  /** Default: `metrics.getMeter('keel')` from the global provider (see `initMetrics`). */
  meter?: Meter;
  /** Breakers to report, by a name of your choosing (the `keel.breaker` attribute). Default: none. */
  breakers?: Record<string, BreakerWrapper>;
  /** Rate limiters to report, by a name of your choosing (the `keel.limiter` attribute). Default: none. */
  rateLimits?: Record<string, RateLimitWrapper>;
}

/** What `resilienceMetrics()` returns. */
export interface ResilienceMetrics {
  /** Pass to `consulRegistry`/`etcdRegistry`/`kubernetesRegistry` and `createClient` as `observer` to measure them. */
  readonly observer: RegistryObserver;
  /** Stops reporting. */
  close(): void;
}

/** `keel.breaker.state`'s values. */
const STATE_VALUE = { closed: 0, 'half-open': 1, open: 2 } as const;

/**
 * The state of keel's resilience machinery as OpenTelemetry observable instruments, read from the
 * wrappers only when the SDK collects (a scrape, an export): nothing is added to the call path.
 * - `keel.breaker.state` (gauge; 0 closed, 1 half-open, 2 open) per circuit: `keel.breaker`,
 *   `keel.service`, and `rpc.method` (endpoint scope) or `keel.node` (node scope).
 * - `keel.breaker.transitions` (counter) per circuit and `keel.breaker.state` entered.
 * - `keel.ratelimit.admitted`, `keel.ratelimit.refused` (counters), `keel.ratelimit.waiting` (gauge: calls
 *   queued now), `keel.ratelimit.wait.time` (counter, seconds waited by admitted calls), per `keel.limiter`.
 * - `keel.client.nodes` (gauge): nodes known by the clients given `observer`, per `rpc.service` (summed
 *   over those clients).
 * - `keel.registry.watch.errors` (counter): failed watches (retried) of the registries given `observer`,
 *   per `keel.registry` and `rpc.service`.
 * The registry facts come only from the registries and clients created with `{ observer }`: nothing is
 * gathered per process, so two `resilienceMetrics()` (two meters, two apps in one process) stay apart.
 * A circuit the breaker forgets (idle node) drops out with its series. `close()` stops reporting.
 * @example
 * const resilience = resilienceMetrics({ breakers: { basis: b }, rateLimits: { basis: limiter } });
 * const registry = consulRegistry({ observer: resilience.observer });
 * const basis = createClient(Basis, 'basis', { registry, observer: resilience.observer });
 */
export function resilienceMetrics(options: ResilienceMetricsOptions = {}): ResilienceMetrics {
  knownKeys(options, ['meter', 'breakers', 'rateLimits'], 'resilienceMetrics');
  const breakers = Object.entries(options.breakers ?? {});
  for (const [name, b] of breakers) {
    if (typeof b?.circuits !== 'function') throw new TypeError(`resilienceMetrics: breakers.${name} must be a breaker() wrapper`);
  }
  const limits = Object.entries(options.rateLimits ?? {});
  for (const [name, l] of limits) {
    if (typeof l?.stats !== 'function') throw new TypeError(`resilienceMetrics: rateLimits.${name} must be a rateLimit() wrapper`);
  }
  const meter = options.meter ?? otelMetrics.getMeter('keel');
  const facts = new RegistryFacts();
  const state = meter.createObservableGauge('keel.breaker.state', { description: 'Circuit state: 0 closed, 1 half-open, 2 open' });
  const transitions = meter.createObservableCounter('keel.breaker.transitions', { description: 'Circuit transitions, by the state entered' });
  const admitted = meter.createObservableCounter('keel.ratelimit.admitted', { description: 'Calls the rate limiter let through' });
  const refused = meter.createObservableCounter('keel.ratelimit.refused', { description: 'Calls the rate limiter refused (no token in time, or cancelled while waiting)' });
  const waiting = meter.createObservableUpDownCounter('keel.ratelimit.waiting', { description: 'Calls waiting for a token now' });
  const waitTime = meter.createObservableCounter('keel.ratelimit.wait.time', { unit: 's', description: 'Time admitted calls waited for a token' });
  const nodes = meter.createObservableGauge('keel.client.nodes', { description: 'Nodes the clients of this process know, per service' });
  const watchErrors = meter.createObservableCounter('keel.registry.watch.errors', { description: 'Registry watches that failed (and were retried)' });

  const observe = (result: { observe(metric: never, value: number, attributes?: object): void }): void => {
    const o = result.observe.bind(result) as (metric: unknown, value: number, attributes?: object) => void;
    for (const [name, b] of breakers) {
      for (const c of b.circuits()) {
        const where = { 'keel.breaker': name, 'keel.service': c.service, ...(c.method ? { 'rpc.method': c.method.replace(/^\//, '') } : {}),
          ...(c.node ? { 'keel.node': c.node } : {}) };
        o(state, STATE_VALUE[c.state], where);
        for (const [entered, count] of Object.entries(c.entered)) o(transitions, count, { ...where, 'keel.breaker.state': entered });
      }
    }
    for (const [name, l] of limits) {
      const s = l.stats();
      const where = { 'keel.limiter': name };
      o(admitted, s.admitted, where);
      o(refused, s.refused, where);
      o(waiting, s.waiting, where);
      o(waitTime, s.waitedMs / 1000, where);
    }
    for (const [service, count] of facts.knownNodes()) o(nodes, count, { 'rpc.service': service });
    for (const e of facts.registryWatchErrors()) o(watchErrors, e.count, { 'keel.registry': e.registry, 'rpc.service': e.service });
  };
  const all = [state, transitions, admitted, refused, waiting, waitTime, nodes, watchErrors];
  meter.addBatchObservableCallback(observe as never, all);
  return { observer: facts.observer, close: () => meter.removeBatchObservableCallback(observe as never, all) };
}
