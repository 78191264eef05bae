import { Metadata, status, type StatusObject } from '@grpc/grpc-js';
import { hasStatusCode, REASON_METADATA_KEY } from '../errors';

/**
 * What a handler's throw becomes on the wire: an error with a gRPC `code` keeps its code, details and
 * custom metadata, and a keel `reason` travels as the `keel-reason` trailer; anything else is UNKNOWN
 * with the error's message (as grpc-js does). `trailer`: what the handler put in `ctx.trailer`.
 */
export function toStatus(err: unknown, trailer?: Metadata): Partial<StatusObject> {
  if (!hasStatusCode(err) || err.code === status.OK) {
    return { code: status.UNKNOWN, details: err instanceof Error ? err.message : String(err), ...(trailer ? { metadata: trailer.clone() } : {}) };
  }
  const { details, metadata: given, reason } = err as { details?: unknown; metadata?: unknown; reason?: unknown };
  // The handler's trailers go with every status; the error's own metadata is added to them.
  const metadata = trailer?.clone() ?? new Metadata();
  if (given instanceof Metadata) {
    for (const [key, values] of Object.entries(given.toJSON())) {
      // Trailers received from another call carry transport keys that must not be sent again.
      if (key.startsWith('grpc-') || key.startsWith(':') || key === 'content-type') continue;
      for (const value of values) metadata.add(key, value);
    }
  }
  if (typeof reason === 'string') metadata.set(REASON_METADATA_KEY, reason);
  return { code: err.code, details: typeof details === 'string' && details !== '' ? details : err.message, metadata };
}
