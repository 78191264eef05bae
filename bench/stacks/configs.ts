import { createChannel, createClient as createNiceClient } from 'nice-grpc';
import {
  breaker, createClient, leastLoaded, localRegistry, rateLimit, retry, roundRobin, tracing, wrapClient, type ClientWrapper, type Registry,
} from '../../src/index';
import { Basis } from '../../examples/basis/proto';
import { naiveStack } from './naive-stack';
import { niceGrpcFull } from './nice-grpc-full';
import type { Target } from '../shared/protocol';
import { HIGH_RATE, REQUEST } from './rates';
import { rawClients, rawHello, rawHelloWithDeadline, rawHelloWithTraceparent } from './raw-call';

/** A client under test: one Hello call, and a way to let go of everything it holds. */
export interface BenchClient {
  call(): Promise<unknown>;
  close(): Promise<void>;
}

/** A named client configuration. One client process runs one configuration; a fresh client per segment. */
export interface ClientConfig {
  name: string;
  /** What it is, for the report. */
  label: string;
  /** Needs an OpenTelemetry SDK (`initTracing`: BatchSpanProcessor, no-op exporter) in its process. */
  tracing: boolean;
  /** With `tracing`: `initTracing`'s sampleRatio. Default 1 (every call sampled). */
  sampleRatio?: number;
  /** Can spread calls over several nodes (runs in the 3-node section). */
  multiNode: boolean;
  make(target: Target): BenchClient;
}

const registries = new Map<string, Registry>();
/** One localRegistry per directory per process, shared by the segments' clients. */
function registryAt(dir: string): Registry {
  let registry = registries.get(dir);
  if (registry === undefined) registries.set(dir, (registry = localRegistry({ dir })));
  return registry;
}

function keel(wrap: () => ClientWrapper | undefined, options: { timeoutMs?: number } = {}): (target: Target) => BenchClient {
  return (target) => {
    const w = wrap();
    const client = createClient(Basis, target.service, { registry: registryAt(target.registryDir), ...options, ...(w ? { wrap: w } : {}) });
    return { call: () => client.hello(REQUEST), close: async () => client.close() };
  };
}

export const CONFIGS: readonly ClientConfig[] = [
  {
    name: 'raw', label: '@grpc/grpc-js Client, by address (the physical limit)', tracing: false, multiNode: true,
    make: (target) => {
      const clients = rawClients(target.addresses);
      return { call: () => rawHello(clients.next()), close: async () => clients.close() };
    },
  },
  { name: 'keel', label: 'keel createClient, no wrappers', tracing: false, multiNode: true, make: keel(() => undefined) },
  { name: 'roundRobin', label: 'keel + roundRobin()', tracing: false, multiNode: true, make: keel(() => wrapClient(roundRobin())) },
  { name: 'leastLoaded', label: 'keel + leastLoaded()', tracing: false, multiNode: true, make: keel(() => wrapClient(leastLoaded())) },
  { name: 'rateLimit', label: `keel + rateLimit(${HIGH_RATE})`, tracing: false, multiNode: false, make: keel(() => wrapClient(rateLimit(HIGH_RATE))) },
  { name: 'breaker', label: 'keel + breaker()', tracing: false, multiNode: false, make: keel(() => wrapClient(breaker())) },
  { name: 'tracing', label: 'keel + tracing()', tracing: true, multiNode: false, make: keel(() => wrapClient(tracing())) },
  {
    name: 'full', label: `keel + roundRobin(), rateLimit(${HIGH_RATE}), breaker(), tracing()`, tracing: true, multiNode: true,
    make: keel(() => wrapClient(roundRobin(), rateLimit(HIGH_RATE), breaker(), tracing())),
  },
  {
    name: 'nice-grpc', label: 'nice-grpc client, by address', tracing: false, multiNode: false,
    make: (target) => {
      const channel = createChannel(target.addresses[0] as string);
      const client = createNiceClient(Basis.service as never, channel) as unknown as { Hello(req: unknown): Promise<unknown> };
      return { call: () => client.Hello(REQUEST), close: async () => channel.close() };
    },
  },
  {
    name: 'naive', label: 'hand-written opossum + bottleneck + @opentelemetry/api', tracing: true, multiNode: true,
    make: naiveStack,
  },
];

/**
 * Configurations that take a keel cost apart: what a deadline on every call costs a bare grpc-js client
 * (keel sends one by default: timeoutMs 5000), the full stack sampling 10%, 1% and 0% of calls, and the
 * full stack without its tracing wrapper. The `diagnose` section runs those in DIAGNOSE_ORDER; `--only`
 * can name any of them.
 */
export const DIAGNOSTIC_CONFIGS: readonly ClientConfig[] = [
  {
    name: 'raw+deadline', label: 'raw, plus fresh Metadata and a 5 s deadline per call (what keel sends by default)', tracing: false, multiNode: false,
    make: (target) => {
      const clients = rawClients(target.addresses);
      return { call: () => rawHelloWithDeadline(clients.next(), 5000), close: async () => clients.close() };
    },
  },
  {
    name: 'raw-nochannelz', label: 'raw with grpc-js\'s channelz statistics off (`grpc.enable_channelz: 0`), as keel\'s channels have them: keel\'s own code, like for like', tracing: false, multiNode: false,
    make: (target) => {
      const clients = rawClients(target.addresses, { 'grpc.enable_channelz': 0 });
      return { call: () => rawHello(clients.next()), close: async () => clients.close() };
    },
  },
  {
    name: 'raw+traceparent', label: 'raw+deadline, plus a traceparent header that differs on every call (no tracer): what the header alone costs on the wire', tracing: false, multiNode: false,
    make: (target) => {
      const clients = rawClients(target.addresses);
      return { call: () => rawHelloWithTraceparent(clients.next(), 5000), close: async () => clients.close() };
    },
  },
  ...[0.1, 0.01, 0].map((ratio): ClientConfig => ({
    name: `full-s${ratio * 100}`, label: `the full stack with initTracing({ sampleRatio: ${ratio} }): ${ratio * 100}% of calls sampled, the rest only propagate the context`,
    tracing: true, sampleRatio: ratio, multiNode: false,
    make: keel(() => wrapClient(roundRobin(), rateLimit(HIGH_RATE), breaker(), tracing())),
  })),
  {
    name: 'full-retry', label: `keel + rateLimit(${HIGH_RATE}), retry(), roundRobin(), breaker(), tracing(): the full stack with retry() (with no caller span, the call's span carries its first attempt: one span per call that needs one attempt)`,
    tracing: true, multiNode: false,
    make: keel(() => wrapClient(rateLimit(HIGH_RATE), retry(), roundRobin(), breaker(), tracing())),
  },
  {
    name: 'retry-tracing', label: 'keel + retry(), tracing(): nice-grpc-full\'s features and no more (tracing, retry, keel\'s default 5 s deadline), keel\'s recommended order (a span per attempt after the first)',
    tracing: true, multiNode: false, make: keel(() => wrapClient(retry(), tracing())),
  },
  {
    name: 'tracing-retry', label: 'keel + tracing(), retry(): nice-grpc-full\'s shape — one span per call, over the retries (nice-grpc-opentelemetry sits outside its retry middleware)',
    tracing: true, multiNode: false, make: keel(() => wrapClient(tracing(), retry())),
  },
  {
    name: 'nice-grpc-full', label: 'nice-grpc client + nice-grpc-opentelemetry, nice-grpc-client-middleware-retry (2 retries), -deadline (5 s)',
    tracing: true, multiNode: false, make: niceGrpcFull,
  },
  {
    name: 'full-notrace', label: `keel + roundRobin(), rateLimit(${HIGH_RATE}), breaker(): the full stack without tracing()`, tracing: false, multiNode: false,
    make: keel(() => wrapClient(roundRobin(), rateLimit(HIGH_RATE), breaker())),
  },
  {
    name: 'keel-nodeadline', label: 'keel createClient, no wrappers, `timeoutMs: Infinity`: the client\'s own path over raw, like for like',
    tracing: false, multiNode: false, make: keel(() => undefined, { timeoutMs: Infinity }),
  },
  {
    name: 'full-notrace-nodeadline', label: `full-notrace with \`timeoutMs: Infinity\`: no deadline sent, as raw sends none (keel's own code, like for like)`,
    tracing: false, multiNode: false, make: keel(() => wrapClient(roundRobin(), rateLimit(HIGH_RATE), breaker()), { timeoutMs: Infinity }),
  },
];

/**
 * Issue 21's side-by-side table, in order: raw grpc-js; keel's full stack without tracing, with 1 % parent-based
 * sampling, with 100 %; the full stack with retry(); keel with only nice-grpc-full's features; nice-grpc-full.
 */
export const SIDE_ORDER = ['raw', 'full-notrace', 'full-s1', 'full', 'full-retry', 'retry-tracing', 'nice-grpc-full'];

/** The side section's configurations: SIDE_ORDER, or raw and those named with `--only side,<configuration>…`. */
export function sideConfigs(named: readonly string[]): string[] {
  return named.length > 0 ? ['raw', ...named.filter((n) => n !== 'raw')] : SIDE_ORDER;
}

/** The configurations the diagnose section compares, in order (main and diagnostic ones). */
export const DIAGNOSE_ORDER = ['raw', 'raw+deadline', 'keel', 'full-notrace', 'tracing', 'full'];

export function configNamed(name: string): ClientConfig {
  const config = [...CONFIGS, ...DIAGNOSTIC_CONFIGS].find((c) => c.name === name);
  if (config === undefined) throw new RangeError(`unknown configuration ${name} (known: ${[...CONFIGS, ...DIAGNOSTIC_CONFIGS].map((c) => c.name).join(', ')})`);
  return config;
}
