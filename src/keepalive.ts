import type { ChannelOptions } from '@grpc/grpc-js';

/**
 * Keepalive for keel's client channels. Without it grpc-js never notices a connection whose peer vanished
 * without a FIN or RST (a crashed host, a dropped NAT entry): streams on it wait forever. Pings go only while
 * calls are open, every 5 minutes: grpc-go servers (go-micro peers) refuse pings more often than that by
 * default (`MinTime`), answering `too_many_pings` with GOAWAY, which would cut idle streams. A ping
 * unanswered for 20 s closes the connection and fails its calls with UNAVAILABLE.
 * Override any of them with `channelOptions`.
 */
export const CLIENT_KEEPALIVE: Readonly<ChannelOptions> = {
  'grpc.keepalive_time_ms': 300_000,
  'grpc.keepalive_timeout_ms': 20_000,
  'grpc.keepalive_permit_without_calls': 0,
};

/**
 * Keepalive for keel servers: a ping every 60 s on each connection, closed after 20 s without an answer,
 * so calls of clients that vanished are cancelled (their handlers' signals abort) instead of holding
 * resources until TCP gives up. Clients do not police server pings. Override with `serverOptions`.
 */
export const SERVER_KEEPALIVE: Readonly<ChannelOptions> = {
  'grpc.keepalive_time_ms': 60_000,
  'grpc.keepalive_timeout_ms': 20_000,
};
