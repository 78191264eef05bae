import { addFilter, type CallContext, type NodeFilter } from '../src/call';
import type { BreakerWrapper } from '../src/breaker/breaker-wrapper';
import { Circuit, type CircuitPolicy, type CircuitState } from '../src/breaker/circuit';
import { classify, defaultIsFailure } from '../src/breaker/failure';
import { keelError } from '../src/errors';
import { func, integer, knownKeys, numberIn, oneOf, positiveMs, withMethod } from '../src/options';
import { type ServiceNode } from '../src/registry/registry';
import { monotonicClock, type Clock } from '../src/time/clock';

export interface BreakerOptions {
  /** The circuit opens at this error percentage (0-100]. Default 50. */
  errorThresholdPercentage?: number;
  /**
   * The circuit also opens after this many failures in a row, at any traffic (Envoy's consecutive_5xx);
   * 0 turns the rule off. Default 5 with `scope: 'node'` (outlier ejection), 0 with `scope: 'endpoint'`.
   */
  consecutiveFailures?: number;
  /**
   * Node scope: at most this share of a service's nodes (at least one) is ejected at a time (Envoy's
   * max_ejection_percent): a node that would trip beyond it stays in, so that a fault on this side (a
   * timeout too tight for a loaded client) cannot eject the healthy nodes or pile the whole load on a few
   * survivors. 100 lets every node be ejected, and calls then fail fast. (0, 100]. Default 50.
   */
  maxEjectionPercent?: number;
  /**
   * Node scope: a node whose error percentage in the window stands at least this many points above its
   * peers' (once it has volumeThreshold requests) is ejected, though under errorThresholdPercentage: a node
   * failing 30 % of its calls beside peers failing none (gRPC A50's success-rate ejection, against the peers
   * rather than a standard deviation, so that it works in a fleet of three). 0 turns it off. Default 20.
   */
  outlierGapPercentage?: number;
  /** …once the rolling window holds at least this many requests. Default 20. */
  volumeThreshold?: number;
  /** How long an open circuit refuses calls before one probe. Default 5000. */
  sleepWindowMs?: number;
  /** A probe with no outcome after this long is taken as lost, and another call may probe. Default 2 × sleepWindowMs. */
  probeTimeoutMs?: number;
  /** The statistics window, in 10 buckets. Default 10000. */
  rollingWindowMs?: number;
  /** At most this many calls (open streams included) in flight per endpoint; excess calls fail at once. Default unlimited. */
  maxConcurrent?: number;
  /** Which errors count against the backend. Default: UNAVAILABLE, DEADLINE_EXCEEDED, INTERNAL, UNKNOWN, DATA_LOSS. */
  isFailure?: (err: unknown) => boolean;
  /** `endpoint` (default): one circuit per service + method. `node`: one per node; open nodes are skipped. */
  scope?: 'endpoint' | 'node';
  /** Called on every state change, for logs, metrics and dashboards (`at`: epoch ms). */
  onStateChange?: (change: CircuitChange) => void;
  /** Time source. Default: monotonic `performance.now()`. */
  clock?: Clock;
}

export interface CircuitChange {
  service: string;
  /** The method's path (endpoint scope). */
  method?: string;
  /** The node (node scope). */
  node?: ServiceNode;
  from: CircuitState;
  to: CircuitState;
  at: number;
}

export type { BreakerWrapper };

const ROLLING_BUCKETS = 10;

/**
 * Client wrapper: a hystrix-style circuit breaker (go-micro's hystrix wrapper, with hystrix-go's defaults).
 * When, in the rolling window, requests ≥ volumeThreshold and error% ≥ errorThresholdPercentage, the
 * circuit opens: calls fail in well under a millisecond with UNAVAILABLE / `circuit_open`, touching no
 * network. After sleepWindowMs one probe goes through (others keep failing fast); its success closes the
 * circuit, its failure reopens it. With `scope: 'node'` a node whose circuit is open is skipped by node
 * selection while other nodes remain (outlier ejection), and a node's circuit also opens after
 * `consecutiveFailures` (5) failures in a row, so a dead node is ejected within a few calls at any
 * traffic; at most `maxEjectionPercent` (50 %, at least one node) of the nodes are ejected at a time;
 * when every node's circuit is open (possible with maxEjectionPercent 100), calls fail fast.
 * Every call kind: an attempt's outcome is its final status (a stream that ends OK is a success); each
 * attempt is recorded once, against the node it used. The breaker sets no deadline: see `timeout()`.
 * @example wrapClient(roundRobin(), breaker({ scope: 'node', volumeThreshold: 5 }))
 */
export function breaker(options: BreakerOptions = {}): BreakerWrapper {
  knownKeys(options, ['errorThresholdPercentage', 'consecutiveFailures', 'maxEjectionPercent', 'outlierGapPercentage', 'volumeThreshold', 'sleepWindowMs', 'probeTimeoutMs', 'rollingWindowMs',
    'maxConcurrent', 'isFailure', 'scope', 'onStateChange', 'clock'], 'breaker');
  const threshold = numberIn(options.errorThresholdPercentage ?? 50, 'breaker: errorThresholdPercentage', 0, { max: 100, minExclusive: true });
  const volumeThreshold = integer(options.volumeThreshold ?? 20, 'breaker: volumeThreshold', 1);
  const maxConcurrent = integer(options.maxConcurrent ?? Infinity, 'breaker: maxConcurrent', 1, { allowInfinity: true });
  const scope = oneOf(options.scope ?? 'endpoint', 'breaker: scope', ['endpoint', 'node']);
  const consecutiveFailures = integer(options.consecutiveFailures ?? (scope === 'node' ? 5 : 0), 'breaker: consecutiveFailures', 0);
  const maxEjectionPercent = numberIn(options.maxEjectionPercent ?? 50, 'breaker: maxEjectionPercent', 0, { max: 100, minExclusive: true });
  const outlierGap = numberIn(options.outlierGapPercentage ?? 20, 'breaker: outlierGapPercentage', 0, { max: 100 });
  const isFailure = func(options.isFailure ?? defaultIsFailure, 'breaker: isFailure');
  const onStateChange = options.onStateChange;
  const clock = withMethod(options.clock ?? monotonicClock, 'breaker: clock', 'now');
  const sleepWindowMs = positiveMs(options.sleepWindowMs ?? 5000, 'breaker: sleepWindowMs');
  const policy: CircuitPolicy = {
    errorThresholdPercentage: threshold,
    volumeThreshold,
    consecutiveFailures,
    sleepWindowMs,
    rollingWindowMs: positiveMs(options.rollingWindowMs ?? 10_000, 'breaker: rollingWindowMs'),
    rollingBuckets: ROLLING_BUCKETS,
    // Every attempt ends (by its deadline at worst), so a probe is lost only if its call never happened, or
    // it is a long stream: then another call may probe.
    probeTimeoutMs: positiveMs(options.probeTimeoutMs ?? 2 * sleepWindowMs, 'breaker: probeTimeoutMs', { allowInfinity: true }),
  };

  interface Entry { circuit: Circuit; service: string; method?: string; node?: ServiceNode; inFlight: number; usedAt: number }
  // Node ids churn with every deploy: a node circuit nobody asked about for this long is forgotten.
  const idleMs = 6 * Math.max(policy.sleepWindowMs, policy.rollingWindowMs);
  // The sweep scans a service's node circuits: at most once per idleMs / 6, not on every new node
  // (meeting 10,000 nodes took 7.8 s with a scan each; 50 ms this way).
  let lastSweep = -Infinity;
  const byEndpoint = new Map<string, Map<string, Entry>>(); // service → method path → entry
  const byNode = new Map<string, Map<string, Entry>>(); // service → node id → entry

  const entry = (table: Map<string, Map<string, Entry>>, service: string, key: string, now: number,
    make: () => Omit<Entry, 'circuit' | 'inFlight' | 'usedAt'>): Entry => {
    let inner = table.get(service);
    if (inner === undefined) table.set(service, (inner = new Map()));
    let found = inner.get(key);
    if (found === undefined) {
      if (table === byNode && now - lastSweep >= idleMs / 6) {
        lastSweep = now;
        for (const [id, e] of inner) if (now - e.usedAt > idleMs && e.inFlight === 0) inner.delete(id);
      }
      const info = make();
      const created: Entry = { ...info, inFlight: 0, usedAt: now, circuit: undefined as unknown as Circuit };
      // `at` is wall-clock epoch ms for logs, unless a clock was injected (then its time, for tests).
      created.circuit = new Circuit(policy, onStateChange && ((from, to, t) => onStateChange({ ...info, from, to, at: options.clock ? t : Date.now() })),
        table === byNode ? (t) => mayEject(service, created, t) : undefined);
      inner.set(key, (found = created));
    }
    found.usedAt = now;
    return found;
  };
  const nodeOf = (ctx: CallContext, node: ServiceNode, now: number): Entry =>
    entry(byNode, ctx.service, node.id, now, () => ({ service: ctx.service, node }));

  const circuitOpen = (what: string) => keelError('circuit_open', `circuit open for ${what}`);

  // Node scope: the selector asks before it uses a node; accepting a half-open node makes this attempt its probe.
  const nodeFilter: NodeFilter = {
    reason: 'circuit_open',
    accept: (node, ctx) => {
      const now = clock.now();
      return nodeOf(ctx, node, now).circuit.allow(now, ctx.attemptKey);
    },
  };

  /**
   * Whether `node` may be ejected now. Not when its peers fail too (a quarter or more of their calls in the
   * window): the fault is shared — an overloaded fleet, a bad deploy, this side's network — and ejecting
   * would only pile the load on the rest. Otherwise while at most maxEjectionPercent of the service's nodes
   * (at least one) are out (Envoy's max_ejection_percent). Counted over the nodes asked about within the
   * rolling window (nodes that left the registry are no longer asked about); run only when a node would trip.
   */
  const mayEject = (service: string, node: Entry, now: number): boolean => {
    const nodes = byNode.get(service);
    if (nodes === undefined) return true;
    const peers = peersOf(nodes, node, now);
    if (peers.requests >= policy.volumeThreshold && peers.failures * 4 >= peers.requests) return false;
    return peers.ejected + 1 <= Math.max(1, Math.floor((peers.recent * maxEjectionPercent) / 100));
  };

  /** The other recently used nodes of a service: how many, how many ejected, and the closed ones' window counts. */
  const peersOf = (nodes: Map<string, Entry>, self: Entry, now: number) => {
    let recent = 1; // self
    let ejected = 0;
    let requests = 0;
    let failures = 0;
    for (const e of nodes.values()) {
      if (e === self || now - e.usedAt > policy.rollingWindowMs) continue;
      recent++;
      if (e.circuit.state !== 'closed') ejected++;
      else {
        const stats = e.circuit.stats(now);
        requests += stats.requests;
        failures += stats.failures;
      }
    }
    return { recent, ejected, requests, failures };
  };

  /** A50's success-rate ejection, against the peers: `entry` just failed; eject it if it stands out. */
  const ejectIfOutlier = (service: string, entry: Entry, now: number): void => {
    const own = entry.circuit.stats(now);
    if (own.state !== 'closed' || own.requests < policy.volumeThreshold || own.failures * 100 < outlierGap * own.requests) return;
    const nodes = byNode.get(service);
    if (nodes === undefined) return;
    const peers = peersOf(nodes, entry, now);
    if (peers.requests < policy.volumeThreshold) return; // nothing to compare with
    if ((own.failures / own.requests - peers.failures / peers.requests) * 100 >= outlierGap) entry.circuit.trip(now);
  };

  return {
    name: 'breaker',
    client: (next, method) => {
      // One endpoint entry per method, resolved once: the per-call path touches no map for it.
      const endpoint = entry(byEndpoint, method.service, method.method, clock.now(), () => ({ service: method.service, method: method.method }));
      const what = `${method.service} ${method.method}`;
      return (request, ctx) => {
        const key = ctx.attemptKey;
        // A closed circuit allows without asking the time: the clock is read once a call (at its end) in the
        // common case, not twice (a clock read is ~40 ns here, a third of what the breaker costs a call).
        if (scope === 'endpoint' && endpoint.circuit.state !== 'closed' && !endpoint.circuit.allow(clock.now(), key)) {
          return Promise.reject(circuitOpen(what));
        }
        if (endpoint.inFlight >= maxConcurrent) {
          if (scope === 'endpoint') endpoint.circuit.record('ignore', clock.now(), key);
          return Promise.reject(keelError('max_concurrent', `${maxConcurrent} calls already in flight for ${what}`));
        }
        if (scope === 'node') addFilter(ctx, nodeFilter);
        endpoint.inFlight++;
        ctx.onEnd((error) => {
          endpoint.inFlight--;
          const outcome = classify(error, isFailure);
          const at = clock.now();
          if (scope === 'endpoint') endpoint.circuit.record(outcome, at, key);
          else if (ctx.node !== undefined) {
            const node = nodeOf(ctx, ctx.node, at);
            node.circuit.record(outcome, at, key);
            if (outcome === 'failure' && outlierGap > 0) ejectIfOutlier(ctx.service, node, at);
          }
        });
        return next(request, ctx);
      };
    },
    circuits() {
      const now = clock.now();
      const rows: ReturnType<BreakerWrapper['circuits']> = [];
      for (const table of scope === 'endpoint' ? [byEndpoint] : [byNode]) {
        for (const inner of table.values()) {
          for (const e of inner.values()) {
            rows.push({ service: e.service, ...(e.method ? { method: e.method } : {}), ...(e.node ? { node: e.node.id } : {}), ...e.circuit.stats(now),
              entered: e.circuit.transitions() });
          }
        }
      }
      return rows;
    },
  };
}
