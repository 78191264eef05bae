import { Metadata, type Client, type ServiceError } from '@grpc/grpc-js';
import { healthService } from './library';

const check = healthService.Check as NonNullable<typeof healthService.Check>;

/**
 * One grpc.health.v1 `Check({ service })` on `client`, within `timeoutMs` (`""` is the whole server):
 * resolves to the status the node answers (`SERVING`, `NOT_SERVING`, …), rejects with the check's gRPC
 * error (UNIMPLEMENTED: the node serves no health service). Aborting `signal` cancels it. The CLI, the
 * sidecar and the dashboard each decide what an answer means to them.
 */
export function healthCheck(client: Client, service: string, timeoutMs: number, signal?: AbortSignal): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    const call = client.makeUnaryRequest(check.path, check.requestSerialize, check.responseDeserialize, { service }, new Metadata(),
      { deadline: Date.now() + timeoutMs }, (err: ServiceError | null, res?: { status?: unknown }) => {
        signal?.removeEventListener('abort', cancel);
        if (err) reject(err);
        else resolve(String(res?.status ?? 'UNKNOWN'));
      });
    const cancel = (): void => call.cancel();
    signal?.addEventListener('abort', cancel, { once: true });
  });
}
