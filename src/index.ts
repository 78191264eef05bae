// keel's public surface. Every export is named here on purpose; internals stay internal.

// ---- For users -------------------------------------------------------------------------------
export { createClient, closeClient } from './client/create-client';
export type { ClientOptions, CallOptions } from './client/create-client';
export type { KeelClient, Implementation } from './typing';
export { createServer } from './server/create-server';
export type { ServerOptions, KeelServer } from './server/create-server';
export type { StreamResetLimit } from './server/stream-resets';
export { detach } from './inbound';
export { stopOnSignals } from './server/signals';
export type { StopOnSignalsOptions } from './server/signals';
export type { Logger } from './server/logger';
export type { ServingStatus } from './server/health';
export { CLIENT_KEEPALIVE, SERVER_KEEPALIVE } from './keepalive';
export { wrapClient, wrapHandler } from './call';
export type { ClientTlsOptions, ServerTlsOptions, Pem } from './tls';
export { memoryRegistry } from './registry/memory';
export type { MemoryRegistryOptions } from './registry/memory';
export { localRegistry } from './registry/local';
export type { LocalRegistryOptions } from './registry/local';
export { mdnsRegistry } from './registry/mdns';
export type { MdnsRegistryOptions } from './registry/mdns';
export { consulRegistry } from './registry/consul';
export type { ConsulRegistryOptions } from './registry/consul';
export { etcdRegistry } from './registry/etcd';
export type { EtcdRegistryOptions } from './registry/etcd';
export { kubernetesRegistry, KubernetesApiError } from './registry/kubernetes';
export type { KubernetesRegistryOptions, KubernetesWatchEvent } from './registry/kubernetes';
export type { EtcdAuth } from './registry/etcd/security';
export { registryFromEnv } from './registry/from-env';
export { roundRobin } from '../wrappers/round-robin';
export { leastLoaded } from '../wrappers/least-loaded';
export type { LeastLoadedOptions, LeastLoadedWrapper, NodeLoad } from '../wrappers/least-loaded';
export { adaptiveLimit } from '../wrappers/adaptive-limit';
export type { AdaptiveLimitOptions, AdaptiveLimitWrapper, LimitState } from '../wrappers/adaptive-limit';
export { rateLimit } from '../wrappers/rate-limit';
export type { RateLimitOptions, RateLimitWrapper } from '../wrappers/rate-limit';
export type { LimitStats } from './limit/limit-stats';
export type { RedisAddress } from './limit/cluster-limit';
export { breaker } from '../wrappers/breaker';
export type { BreakerOptions, BreakerWrapper, CircuitChange } from '../wrappers/breaker';
export { retry } from '../wrappers/retry';
export type { RetryOptions, RetryWrapper, RetryEvent } from '../wrappers/retry';
export { hedge } from '../wrappers/hedge';
export type { HedgeOptions, HedgeEvent } from '../wrappers/hedge';
export { RetryBudget } from './retry/budget';
export type { RetryBudgetOptions } from './retry/budget';
export { Backoff } from './backoff';
export type { BackoffOptions } from './backoff';
export { timeout } from '../wrappers/timeout';
export type { TimeoutOptions } from '../wrappers/timeout';
export { tracing } from '../wrappers/tracing';
export type { TracingOptions } from '../wrappers/tracing';
export { initTracing } from './tracing/init-tracing';
export type { InitTracingOptions, TracingHandle, TracingExporter, SpanExporterLike } from './tracing/init-tracing';
export type { PropagatorName } from './tracing/propagators';
export { metrics } from '../wrappers/metrics';
export type { MetricsOptions } from '../wrappers/metrics';
export { initMetrics } from './metrics/init-metrics';
export type { InitMetricsOptions, MetricsHandle, MetricsExporter, PrometheusMetricsHandle, PushMetricsHandle } from './metrics/init-metrics';
export { resilienceMetrics } from './metrics/resilience';
export type { ResilienceMetricsOptions, ResilienceMetrics } from './metrics/resilience';
export type { RegistryObserver } from './registry/observer';
export { KeelError, isKeelError, REASONS } from './errors';
export type { KeelReason, StatusError } from './errors';
export { MissingPeerError } from './peer';

// ---- For authors of wrappers, selectors and registries -----------------------------------------
export { addFilter, acceptable, kindOf } from './call';
export type {
  Call, CallContext, CallKind, MethodInfo, EndListener, Selector, NodeFilter, Handler, HandlerContext, ClientWrapper,
  HandlerWrapper, Wrapper,
} from './call';
export { callContext, runCall } from './client/run-call';
export type { CallContextInit } from './client/run-call';
export { keelError, hasStatusCode } from './errors';
export { gone, notStarted } from './server/gone';
export { randomSelector } from './select/random';
export { RoundRobinSelector } from './select/round-robin';
export { LeastLoadedSelector } from './select/least-loaded';
export { VegasLimit } from './limit/vegas';
export type { VegasPolicy } from './limit/vegas';
export { Throttle } from './limit/throttle';
export { TokenBucket } from './limit/token-bucket';
export { Circuit } from './breaker/circuit';
export type { CircuitState, CircuitPolicy, Outcome } from './breaker/circuit';
export { WatchHub } from './registry/watch-hub';
export { monotonicClock, systemClock } from './time/clock';
export type { Registry, ServiceNode, RegisterOptions, Endpoint, EndpointValue } from './registry/registry';
export type { Clock } from './time/clock';

// ---- Deprecated: the toolkit's names, whose home is now `keel/toolkit` -----------------------------
// Kept only while README.md's examples import them from `keel`; drop this block (and DEPRECATED_IN_KEEL in
// test/packaging.test.ts) when they import `keel/toolkit`. Each loads the toolkit when first called, never
// when keel loads: the toolkit imports keel, and an eager import here would load it half-initialised.
type Toolkit = typeof import('./toolkit/index');
const toolkit = (): Toolkit => require('./toolkit/index') as Toolkit;
/** @deprecated Import from `keel/toolkit`. */
export const createGateway: Toolkit['createGateway'] = (options) => toolkit().createGateway(options);
/** @deprecated Import from `keel/toolkit`. */
export const bearerToken: Toolkit['bearerToken'] = (...args) => toolkit().bearerToken(...args);
/** @deprecated Import from `keel/toolkit`. */
export const createMcpGateway: Toolkit['createMcpGateway'] = (...args) => toolkit().createMcpGateway(...args);
/** @deprecated Import from `keel/toolkit`. */
export const startSidecar: Toolkit['startSidecar'] = (...args) => toolkit().startSidecar(...args);
export type { Gateway, GatewayOptions, Authorize, McpGateway, McpGatewayOptions, McpTool, ToolResult, ToolError } from './toolkit/index';
