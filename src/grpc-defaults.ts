import type { ChannelOptions } from '@grpc/grpc-js';
import { CLIENT_KEEPALIVE } from './keepalive';

/**
 * What keel's client channels start from, under the caller's `channelOptions`: keepalive, and grpc-js's channelz
 * statistics off. grpc-js keeps those for every channel, subchannel and connection unless told not to: per call
 * a few counters, `Date.now()` stamps and a tracker object of closures. Only a channelz service reads them, and
 * keel serves none. Off, a plain grpc-js client spent about 4 % less CPU per call (Node 24, C=64, interleaved
 * rounds in one process; `bench/notes/tracing21-floor.md` §7). `'grpc.enable_channelz': 1` turns them back on.
 *
 * Servers keep them: grpc-js 1.14's `Server.forceShutdown()` finds the open connections to destroy only in its
 * channelz bookkeeping, so with channelz off a forced stop (`graceMs` passed) would leave running calls running
 * (`test/server/server.test.ts`, "cancels calls still running after graceMs").
 */
export const CLIENT_CHANNEL_DEFAULTS: Readonly<ChannelOptions> = { ...CLIENT_KEEPALIVE, 'grpc.enable_channelz': 0 };
