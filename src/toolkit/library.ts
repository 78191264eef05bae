// The toolkit's one door into the library. The toolkit is built on keel's public API (`../index`) and on
// the shared pieces below it; a new import from the library belongs here, where a reviewer sees it, never
// deep in a tool (test/toolkit/boundary.test.ts holds every toolkit file to this).

// ---- keel's public API ---------------------------------------------------------------------------------
export {
  advertiseHost, breaker, clientChannel, closeClient, createClient, createRegistry, endpointsOf, grpcNodes, hasStatusCode, HEALTH_SERVICE,
  healthService, isKeelError, keelError, kindOf, leastLoaded, MissingPeerError, monotonicClock, nodeMetadata, rateLimit, readClientTls,
  Registration, retry, tcpProbe, tracing, wrapClient,
} from '../index';
export type {
  BreakerOptions, BreakerWrapper, CallKind, ClientTlsOptions, ClientWrapper, Clock, Endpoint, EndpointValue, LeastLoadedOptions, LeastLoadedWrapper,
  LimitStats, NodeLoad, RateLimitWrapper, Registry, RetryOptions, ServiceNode,
} from '../index';

// ---- Shared pieces the library and the toolkit both build on -------------------------------------------
// The lowest layer of scripts/shape-report.mjs: address parsing and formatting, option checks and the
// optional-peer loader. They carry no library meaning (no registry, call or server in them), so using them
// is not reaching into the library; the library's own files import them the same way.
export { describe, formatHostPort, parseHostPort } from '../address';
export { knownKeys, nonEmptyString, positiveMs, stringRecord, withMethod } from '../options';
export { loadPeer } from '../peer';
