import { breaker, retry, roundRobin, timeout, tracing, wrapClient, type ClientWrapper, type RetryEvent } from '../../src/index';

/** Per-attempt timeout: a hung node costs one attempt, not the call (README, "The recommended stack"). */
export const ATTEMPT_TIMEOUT_MS = 1000;

/**
 * The README's recommended client stack, as every shippy client uses it: retry on another node (every
 * method when the request never left; FindAvailable and GetConsignments also after a failure, since their
 * proto says NO_SIDE_EFFECTS — CreateConsignment is not retried once sent), round robin, a per-node breaker
 * that ejects a dead node, a per-attempt timeout, and a CLIENT span per attempt.
 */
export function recommendedStack(onRetry?: (event: RetryEvent) => void): ClientWrapper {
  return wrapClient(
    retry(onRetry ? { onRetry } : {}),
    roundRobin(),
    breaker({ scope: 'node' }),
    timeout(ATTEMPT_TIMEOUT_MS),
    tracing(),
  );
}
