import type { Server } from '@grpc/grpc-js';
import { describe } from '../address';
import { integer } from '../options';

/**
 * How many streams a client may reset (RST_STREAM, which is how gRPC cancels a call) per connection: a token
 * bucket of `burst` resets refilled at `perSecond`. It is nghttp2's "rapid reset" (CVE-2023-44487) mitigation:
 * past it the server sends GOAWAY(INTERNAL_ERROR) and Node's client, on a GOAWAY with an error code, destroys
 * the whole connection — every call in flight on it fails with INTERNAL "Received RST_STREAM with code 2
 * triggered by internal client error: Session closed with error code 2". nghttp2's own default (1000, then
 * 33/s) is passed within seconds by a client whose deadlines expire under overload.
 */
export interface StreamResetLimit {
  /** Resets allowed at once. */
  burst: number;
  /** Resets allowed per second after the burst. */
  perSecond: number;
}

/**
 * keel's default: ten times nghttp2's burst and thirty times its rate, so that a fleet's own clients giving up
 * on an overloaded server (hundreds of cancels a second per connection) do not lose the connection, while a
 * peer resetting streams as an attack (the CVE's floods run at 10^5–10^6 a second) is still cut off.
 */
export const DEFAULT_STREAM_RESET_LIMIT: Readonly<StreamResetLimit> = Object.freeze({ burst: 10_000, perSecond: 1_000 });

/** nghttp2 keeps both in 32 bits. */
const MAX = 2 ** 32 - 1;

/** Validates the `streamResetLimit` option (a RangeError/TypeError naming it). */
export function streamResetLimit(given: unknown, option: string): StreamResetLimit {
  if (given === undefined) return DEFAULT_STREAM_RESET_LIMIT;
  if (typeof given !== 'object' || given === null) throw new TypeError(`${option} must be { burst, perSecond }, got ${describe(given)}`);
  const { burst, perSecond, ...rest } = given as Partial<StreamResetLimit>;
  const extra = Object.keys(rest);
  if (extra.length > 0) throw new TypeError(`${option}: unknown key "${extra[0]}" (known: burst, perSecond)`);
  return { burst: integer(burst, `${option}.burst`, 1, { max: MAX }), perSecond: integer(perSecond, `${option}.perSecond`, 1, { max: MAX }) };
}

/**
 * Gives the grpc-js server's HTTP/2 listeners the limit (Node's `streamResetBurst` / `streamResetRate`,
 * Node >= 22; Node 20 has no way to set it, and nghttp2's default applies there). grpc-js passes no HTTP/2
 * option of this kind through, so it goes into the options grpc-js creates its HTTP/2 servers with (the
 * field `commonServerOptions`, grpc-js 1.8–1.14). Call before binding. Returns false when that field is not
 * there (a grpc-js that changed): the server then runs with nghttp2's default, and the caller says so.
 */
export function applyStreamResetLimit(server: Server, limit: StreamResetLimit): boolean {
  const options = (server as unknown as { commonServerOptions?: unknown }).commonServerOptions;
  if (typeof options !== 'object' || options === null) return false;
  Object.assign(options, { streamResetBurst: limit.burst, streamResetRate: limit.perSecond });
  return true;
}
