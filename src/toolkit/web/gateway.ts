import type { Gateway } from '../gateway/gateway';

/**
 * What the dashboard needs of the API gateway (`createGateway()`, src/toolkit/gateway/): the call form posts
 * to `handle`, the service list resolves endpoints with `caller.methods()`, and the resilience panel reads
 * `breaker.circuits()`, `limiter.stats()` and `stats()` — the state of the very wrappers the form's calls go
 * through. Its `timeouts` (when it has them) are the dashboard's too.
 */
export type WebGateway = Pick<Gateway, 'handle' | 'breaker' | 'limiter' | 'stats'> & Partial<Pick<Gateway, 'timeouts' | 'balancer'>>
  & { readonly caller: Pick<Gateway['caller'], 'methods'> };
