import type { ChannelOptions } from '@grpc/grpc-js';
import { CLIENT_KEEPALIVE, SERVER_KEEPALIVE } from './keepalive';

/**
 * grpc-js keeps channelz statistics for every channel, subchannel, connection and server unless told not to:
 * per call a few counters, `Date.now()` stamps and a tracker object of closures, on the client and again on the
 * server. They are read only by a channelz service, which keel does not serve. Turning them off cut a plain
 * grpc-js client's CPU per call by about 4 % (Node 24, C=64, interleaved rounds in one process;
 * `bench/notes/tracing21-floor.md` §7). An app that serves channelz turns them back on with
 * `channelOptions` / `serverOptions: { 'grpc.enable_channelz': 1 }`.
 */
const CHANNELZ_OFF: Readonly<ChannelOptions> = { 'grpc.enable_channelz': 0 };

/** What keel's client channels start from, under the caller's `channelOptions`. */
export const CLIENT_CHANNEL_DEFAULTS: Readonly<ChannelOptions> = { ...CLIENT_KEEPALIVE, ...CHANNELZ_OFF };

/** What keel's servers start from, under the caller's `serverOptions`. */
export const SERVER_DEFAULTS: Readonly<ChannelOptions> = { ...SERVER_KEEPALIVE, ...CHANNELZ_OFF };
