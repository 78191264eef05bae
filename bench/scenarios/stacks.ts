// The stacks the resilience scenarios compare, by name: THE place to add one. A keel stack is a list of client
// wrappers (outermost first) and, optionally, handler wrappers every scenario server runs while it is measured;
// the grpc-js anchor is a plain grpc-js client with a service config. `npm run bench -- --only resilience` runs
// every stack here side by side; the chaos suite's full variant asserts issue 19's figures against RECOMMENDED.
import { adaptiveLimit, breaker, hedge, leastLoaded, rateLimit, retry, roundRobin, timeout, type ClientWrapper, type HandlerWrapper, type Wrapper } from '../../src/index';

/** What a scenario asks of a stack beyond its defaults. */
export interface StackOptions {
  /** The hedged scenario: add `hedge({ delayMs })` where this stack puts it. */
  hedgeDelayMs?: number;
}

export interface KeelStack {
  kind: 'keel';
  /** One line for the report. */
  label: string;
  /** Client wrappers, outermost first; undefined when the stack has no form for these options (the report says `—`). */
  client(options: StackOptions): Array<Wrapper | ClientWrapper> | undefined;
  /** Handler wrappers every scenario server applies while this stack is measured (fresh ones per run). Default none. */
  server?(): Array<Wrapper | HandlerWrapper>;
}

export interface GrpcStack {
  kind: 'grpc-js';
  label: string;
  /** The channel's `grpc.service_config`. */
  serviceConfig: object;
}

export type Stack = KeelStack | GrpcStack;

/** The per-attempt timeout of the README's stack, as in the chaos suite: a hung attempt costs 250 ms, then a retry. */
const ATTEMPT_MS = 250;
/**
 * The README's stack starts with `rateLimit`; set here above any scenario's offered load (500/s, 1.5× the overload
 * fleet's capacity), as a client sets its limiter for its own peak, so that it shapes nothing the scenarios measure.
 */
const CLIENT_RATE = 5000;

const sec = (s: number): { seconds: number; nanos: number } => ({ seconds: s, nanos: 0 });

/**
 * gRFC A50 outlier detection around round_robin, A50's defaults (success-rate ejection: 1.9 standard deviations,
 * at least 5 hosts and 100 requests per host in an interval; base ejection 30 s; at most 10 % ejected, at least one)
 * except the interval: 1 s instead of 10 s, so that it can act within a 15 s scenario.
 */
export const OUTLIER_DETECTION = {
  loadBalancingConfig: [{
    outlier_detection: {
      interval: sec(1), base_ejection_time: sec(30), max_ejection_time: sec(300), max_ejection_percent: 10,
      success_rate_ejection: { stdev_factor: 1900, enforcement_percentage: 100, minimum_hosts: 5, request_volume: 100 },
      child_policy: [{ round_robin: {} }],
    },
  }],
};

export const STACKS: Record<string, Stack> = {
  plain: {
    kind: 'keel', label: 'plain `roundRobin()`',
    client: ({ hedgeDelayMs }) => [...(hedgeDelayMs !== undefined ? [hedge({ delayMs: hedgeDelayMs })] : []), roundRobin()],
  },
  today: {
    kind: 'keel', label: `the README's stack before issue 19: \`rateLimit(${CLIENT_RATE}), retry(), roundRobin(), breaker({ scope: 'node' }), timeout(${ATTEMPT_MS})\` (hedged: \`hedge({ delayMs, budget: r.budget })\` after rateLimit)`,
    client: ({ hedgeDelayMs }) => {
      const r = retry();
      return [rateLimit(CLIENT_RATE), ...(hedgeDelayMs !== undefined ? [hedge({ delayMs: hedgeDelayMs, budget: r.budget })] : []),
        r, roundRobin(), breaker({ scope: 'node' }), timeout(ATTEMPT_MS)];
    },
  },
  'grpc-js': {
    kind: 'grpc-js', label: 'plain grpc-js client, static address list, `round_robin` under A50 `outlier_detection` (interval 1 s, otherwise A50 defaults)',
    serviceConfig: OUTLIER_DETECTION,
  },
  'least-loaded': {
    kind: 'keel', label: `\`retry(), leastLoaded(), breaker({ scope: 'node' }), timeout(${ATTEMPT_MS})\`, servers unguarded`,
    client: ({ hedgeDelayMs }) => {
      const r = retry();
      return [...(hedgeDelayMs !== undefined ? [hedge({ delayMs: hedgeDelayMs, budget: r.budget })] : []), r, leastLoaded(), breaker({ scope: 'node' }), timeout(ATTEMPT_MS)];
    },
  },
  keel: {
    kind: 'keel',
    label: `the README's stacks: client \`retry(), leastLoaded(), breaker({ scope: 'node' }), timeout(${ATTEMPT_MS})\` (hedged: \`hedge({ delayMs, budget: r.budget })\` first), servers \`adaptiveLimit()\``,
    client: ({ hedgeDelayMs }) => {
      const r = retry();
      return [...(hedgeDelayMs !== undefined ? [hedge({ delayMs: hedgeDelayMs, budget: r.budget })] : []), r, leastLoaded(), breaker({ scope: 'node' }), timeout(ATTEMPT_MS)];
    },
    server: () => [adaptiveLimit()],
  },
  'client-limit': {
    kind: 'keel',
    label: `the README's stacks with \`adaptiveLimit()\` on the client too (outermost)`,
    client: ({ hedgeDelayMs }) => {
      const r = retry();
      return [adaptiveLimit(), ...(hedgeDelayMs !== undefined ? [hedge({ delayMs: hedgeDelayMs, budget: r.budget })] : []),
        r, leastLoaded(), breaker({ scope: 'node' }), timeout(ATTEMPT_MS)];
    },
    server: () => [adaptiveLimit()],
  },
};

/**
 * The stack the chaos suite's full variant holds to issue 19's figures, and the bench marks as recommended.
 * Switch it to the new stack once it is in STACKS.
 */
export const RECOMMENDED = 'keel';

/** A stack by name; `recommended` names RECOMMENDED. */
export function stackNamed(name: string): Stack {
  const stack = STACKS[name === 'recommended' ? RECOMMENDED : name];
  if (stack === undefined) throw new RangeError(`no stack named ${name}; known: recommended, ${Object.keys(STACKS).join(', ')}`);
  return stack;
}
