// The toolkit's one door into the library. The toolkit is built on keel's public API (`../index`); the
// second block names, explicitly, the few library internals it still reaches — each a piece a public
// export could replace. A new internal import belongs here, where a reviewer sees it, never deep in a tool.

// ---- keel's public API ---------------------------------------------------------------------------------
export {
  breaker, closeClient, createClient, hasStatusCode, isKeelError, keelError, kindOf, leastLoaded, MissingPeerError, monotonicClock, rateLimit, retry,
  tracing, wrapClient,
} from '../index';
export type {
  BreakerOptions, BreakerWrapper, CallKind, ClientTlsOptions, ClientWrapper, Clock, Endpoint, EndpointValue, LeastLoadedOptions, LeastLoadedWrapper,
  LimitStats, NodeLoad, RateLimitWrapper, Registry, RetryOptions, ServiceNode,
} from '../index';

// ---- Library internals the toolkit still uses (to be replaced by public exports or moved here) ----------
export { describe, formatHostPort, parseHostPort } from '../address';
export { grpcNodes } from '../client/grpc-nodes';
export { tcpProbe } from '../client/tcp-probe';
export { knownKeys, nonEmptyString, positiveMs, stringRecord } from '../options';
export { loadPeer } from '../peer';
export { createRegistry } from '../registry/from-env';
export { advertiseHost } from '../server/advertise';
export { endpointsOf } from '../server/endpoints';
export { HEALTH_SERVICE, healthService } from '../server/health-proto';
export { nodeMetadata } from '../server/node-metadata';
export { Registration } from '../server/registration';
export { clientChannel, readClientTls } from '../tls';
