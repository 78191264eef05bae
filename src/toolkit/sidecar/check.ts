import { status, type ServiceError } from '@grpc/grpc-js';
import { HEALTH_SERVICE, tcpProbe } from '../library';
import { healthCheck } from '../health-check';
import { appClient } from './app-client';

/** One check of the app: whether it passed, how it was checked, and what was seen (for people). */
export interface CheckResult {
  readonly passed: boolean;
  /** `health`: grpc.health.v1 Check answered; `tcp`: the app has no health service, a TCP connect decided. */
  readonly via: 'health' | 'tcp';
  /** `SERVING`, `NOT_SERVING`, `UNAVAILABLE: …`, `connected`, `refused` … */
  readonly detail: string;
}

/**
 * Checks the app at `address` as grpc.health.v1 defines it: `Check({ service })` must answer SERVING
 * within `timeoutMs` (service `""` is the whole server). NOT_FOUND (the app does not know `service`), any
 * other status, or an error fails. UNIMPLEMENTED means the app serves gRPC but no health service: then a
 * TCP connect decides, as the only sign of life left (grpc-health-probe and Kubernetes' gRPC probe fail
 * such apps outright; a sidecar is for apps that cannot be changed, so it settles for less).
 */
export async function checkApp(address: string, service: string, timeoutMs: number): Promise<CheckResult> {
  const client = appClient(address);
  try {
    const state = await healthCheck(client, service, timeoutMs);
    return { passed: state === 'SERVING', via: 'health', detail: state };
  } catch (err) {
    const e = err as ServiceError;
    if (e.code === status.UNIMPLEMENTED) {
      const connected = await tcpProbe(address, timeoutMs);
      return { passed: connected, via: 'tcp', detail: connected ? `no ${HEALTH_SERVICE}: TCP connect ok` : `no ${HEALTH_SERVICE}: TCP connect failed` };
    }
    const name = status[e.code] ?? 'ERROR';
    return { passed: false, via: 'health', detail: `${name}: ${e.details || e.message}` };
  } finally {
    client.close();
  }
}
