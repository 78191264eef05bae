import { randomBytes } from 'node:crypto';
import { status } from '@grpc/grpc-js';
import { hasStatusCode, isKeelError } from '../library';
import { isToolkitError } from '../errors';

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
  /** Set when the detail was kept from the caller: the gateway's log has it under this id. */
  errorId?: string;
}

/** A failure decided by the gateway itself, before any call: its HTTP status is its own (405, 413, 415, …). */
export class GatewayError extends Error {
  override readonly name = 'GatewayError';
  constructor(readonly httpStatus: number, readonly code: status, readonly reason: string, message: string) {
    super(message);
  }
}

/**
 * Statuses whose details a service means for its callers (`NOT_FOUND: no user 5`), passed on as grpc-gateway
 * does. The others — UNKNOWN, INTERNAL, UNAVAILABLE, DEADLINE_EXCEEDED, … — are mostly written by grpc-js or
 * by a handler's unexpected failure, and carry node addresses and internals (`connect ECONNREFUSED
 * 10.9.8.7:5432`): the caller gets a generic message and an error id, the log the detail.
 */
const SPOKEN: ReadonlySet<status> = new Set([status.INVALID_ARGUMENT, status.NOT_FOUND, status.ALREADY_EXISTS, status.PERMISSION_DENIED,
  status.FAILED_PRECONDITION, status.ABORTED, status.OUT_OF_RANGE, status.UNAUTHENTICATED, status.RESOURCE_EXHAUSTED]);

/** keel's own refusals, in keel's own words; `no_descriptor` is not among them (it quotes the node's reflection failure). */
const OWN_WORDS: ReadonlySet<string> = new Set(['no_nodes', 'deadline', 'cancelled', 'rate_limited', 'circuit_open', 'max_concurrent',
  'bad_option', 'closed', 'unknown_method', 'bad_request']);

/** Where a kept-back detail goes, with its error id. */
export type ErrorLog = (errorId: string, err: unknown) => void;

/** The default ErrorLog: one line on stderr. */
export const logToStderr: ErrorLog = (errorId, err) => {
  const e = err as { details?: unknown; message?: unknown } | null | undefined;
  const detail = typeof e?.details === 'string' && e.details !== '' ? e.details : typeof e?.message === 'string' ? e.message : String(err);
  console.error(`keel gateway: error ${errorId}: ${detail.slice(0, 2000)}`);
};

/**
 * What the gateway answers for `err`: the HTTP status and the JSON body. Never throws, whatever `err` is.
 * A detail kept from the caller (see SPOKEN) goes to `log` under the body's `errorId`.
 */
export function errorResponse(err: unknown, log: ErrorLog = logToStderr): { httpStatus: number; body: ErrorBody } {
  if (err instanceof GatewayError) {
    return { httpStatus: err.httpStatus, body: { code: err.code, status: status[err.code], message: err.message, reason: err.reason } };
  }
  // Anything without a gRPC code is a fault here, not a status some server sent: UNKNOWN, without its details.
  const code = hasStatusCode(err) && HTTP_STATUS[err.code] !== undefined ? err.code : status.UNKNOWN;
  const e = err as { details?: unknown; message?: unknown; reason?: unknown } | null | undefined;
  // keel's own refusals: in its own words, or kept back whatever their code (no_descriptor quotes grpc-js).
  const local = (isKeelError(err) || isToolkitError(err)) && err.origin === 'local';
  let body: ErrorBody;
  if (local ? OWN_WORDS.has(err.reason) : hasStatusCode(err) && SPOKEN.has(code)) {
    const message = typeof e?.details === 'string' && e.details !== '' ? e.details : typeof e?.message === 'string' ? e.message : '';
    body = { code, status: status[code], message: message.slice(0, 4096) };
  } else {
    const errorId = randomBytes(6).toString('hex');
    try {
      log(errorId, err);
    } catch {
      /* a failing log must not fail the answer */
    }
    body = { code, status: status[code], message: hasStatusCode(err) ? `the call failed (${status[code]}); error id ${errorId}`
      : `the gateway failed to handle the request; error id ${errorId}`, errorId };
  }
  if (typeof e?.reason === 'string') body.reason = e.reason.slice(0, 64);
  return { httpStatus: HTTP_STATUS[code], body };
}
