import { status } from '@grpc/grpc-js';
import { hasStatusCode } from '../../errors';

/**
 * gRPC status → HTTP status, as Google's API design guide maps google.rpc.Code (the table grpc-gateway and
 * Cloud Endpoints use too). CANCELLED is 499, nginx's "client closed request".
 */
export const HTTP_STATUS: Readonly<Record<status, number>> = {
  [status.OK]: 200,
  [status.CANCELLED]: 499,
  [status.UNKNOWN]: 500,
  [status.INVALID_ARGUMENT]: 400,
  [status.DEADLINE_EXCEEDED]: 504,
  [status.NOT_FOUND]: 404,
  [status.ALREADY_EXISTS]: 409,
  [status.PERMISSION_DENIED]: 403,
  [status.RESOURCE_EXHAUSTED]: 429,
  [status.FAILED_PRECONDITION]: 400,
  [status.ABORTED]: 409,
  [status.OUT_OF_RANGE]: 400,
  [status.UNIMPLEMENTED]: 501,
  [status.INTERNAL]: 500,
  [status.UNAVAILABLE]: 503,
  [status.DATA_LOSS]: 500,
  [status.UNAUTHENTICATED]: 401,
};

/** The JSON body of every failed gateway request (and the last line of a stream that failed). */
export interface ErrorBody {
  /** The gRPC status code number. */
  code: number;
  /** Its name: `UNAVAILABLE`. */
  status: string;
  message: string;
  /** keel's or the gateway's stable reason (`no_nodes`, `circuit_open`, `body_too_large`, …), when there is one. */
  reason?: string;
}

/** A failure decided by the gateway itself, before any call: its HTTP status is its own (405, 413, 415, …). */
export class GatewayError extends Error {
  override readonly name = 'GatewayError';
  constructor(readonly httpStatus: number, readonly code: status, readonly reason: string, message: string) {
    super(message);
  }
}

/** What the gateway answers for `err`: the HTTP status and the JSON body. Never throws, whatever `err` is. */
export function errorResponse(err: unknown): { httpStatus: number; body: ErrorBody } {
  if (err instanceof GatewayError) {
    return { httpStatus: err.httpStatus, body: { code: err.code, status: status[err.code], message: err.message, reason: err.reason } };
  }
  // Anything without a gRPC code is a fault here, not a status some server sent: UNKNOWN, without its details.
  const code = hasStatusCode(err) ? err.code : status.UNKNOWN;
  const e = err as { details?: unknown; message?: unknown; reason?: unknown } | null | undefined;
  const message = hasStatusCode(err)
    ? (typeof e?.details === 'string' && e.details !== '' ? e.details : typeof e?.message === 'string' ? e.message : '')
    : 'the gateway failed to handle the request';
  const body: ErrorBody = { code, status: status[code], message };
  if (typeof e?.reason === 'string') body.reason = e.reason;
  return { httpStatus: HTTP_STATUS[code], body };
}
