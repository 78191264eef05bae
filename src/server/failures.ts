import { randomBytes } from 'node:crypto';
import { status, type Metadata, type MethodDefinition, type ServiceDefinition, type StatusObject } from '@grpc/grpc-js';
import { hasStatusCode } from '../errors';
import type { Log } from './logger';
import { toStatus } from './to-status';

/** How a handler's failure becomes a status, and which failures the server logs. */
export type Failures = (err: unknown, trailer: Metadata | undefined, path: string) => Partial<StatusObject>;

/**
 * A failure that becomes UNKNOWN or INTERNAL is a bug in the server (a plain `Error`, a broken stream), not
 * an answer: it is logged with the method, the error and its stack. Errors that carry a gRPC code were
 * thrown on purpose and are sent as they are, unlogged. A plain error's message stays in the log unless
 * `exposeErrors`: it may hold what callers must not see (SQL, paths, hosts). The caller gets an id to quote
 * instead, found in the log line. grpc-js (and grpc-go) send the message; keel hides it, as grpc-js already
 * does for a response that does not serialize.
 */
export function failures(log: Log, exposeErrors: boolean): Failures {
  return (err, trailer, path) => {
    const sent = toStatus(err, trailer);
    if (sent.code !== status.UNKNOWN && sent.code !== status.INTERNAL) return sent;
    const errorId = randomBytes(4).toString('hex');
    const message = err instanceof Error ? err.message : String(err);
    log('error', `keel: ${path} failed (${status[sent.code]}, error id ${errorId}): ${message}`, { method: path, errorId, err });
    if (!exposeErrors && !hasStatusCode(err)) {
      return { ...sent, details: `internal error in ${path} (error id ${errorId}; the server logged it)` };
    }
    return sent;
  };
}

/**
 * The service with each response serializer reporting its failure: grpc-js answers INTERNAL "Error
 * serializing response" and logs nothing, so without this a handler returning the wrong shape is invisible
 * on the server. Costs a try block per response; nothing else changes.
 */
export function reportingSerializers(service: ServiceDefinition, log: Log): ServiceDefinition {
  const out: Record<string, MethodDefinition<unknown, unknown>> = {};
  for (const [key, method] of Object.entries(service) as [string, MethodDefinition<unknown, unknown>][]) {
    const serialize = method.responseSerialize;
    out[key] = {
      ...method,
      responseSerialize: (value: unknown) => {
        try {
          return serialize(value);
        } catch (err) {
          log('error', `keel: ${method.path} returned a response that does not serialize (the caller gets INTERNAL): ${(err as Error)?.message}`,
            { method: method.path, err });
          throw err;
        }
      },
    };
  }
  return out as ServiceDefinition;
}
