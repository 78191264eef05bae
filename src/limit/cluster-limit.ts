import type { RedisOptions } from 'ioredis';
import { describe } from '../address';
import { func, integer, knownKeys, nonEmptyString, positiveMs } from '../options';
import { RedisBucket, type RedisClient } from './redis-bucket';
import { loadPeer } from '../peer';

/** A Redis server for `rateLimit`'s `redis` option. Defaults: `127.0.0.1`, `6379`, db `0`, no auth. */
export interface RedisAddress {
  host?: string;
  port?: number;
  db?: number;
  username?: string;
  password?: string;
}

/** The options of `rateLimit` that make its bucket shared through Redis. */
export interface ClusterLimitOptions {
  redis?: string | RedisAddress | RedisClient;
  id?: string;
  redisTimeoutMs?: number;
  onError?: (err: Error) => void;
}

const KEY_PREFIX = 'keel:ratelimit:';

/**
 * Validates `rateLimit`'s shared-limit options (throwing now, naming the option) and builds the Redis
 * bucket, or undefined without `redis`. Nothing connects until the first call.
 * `id` is required: it is the limit's identity across processes, and any default would silently merge
 * unrelated limits that happen to share a Redis (each then getting a fraction of its rate).
 */
export function clusterBucket(options: ClusterLimitOptions, ratePerSecond: number, burst: number): RedisBucket | undefined {
  if (options.redis === undefined) {
    for (const name of ['id', 'redisTimeoutMs', 'onError'] as const) {
      if (options[name] !== undefined) throw new TypeError(`rateLimit: ${name} applies only with redis`);
    }
    return undefined;
  }
  if (options.id === undefined) {
    throw new TypeError('rateLimit: id is required with redis (every process using the same Redis and id shares one limit)');
  }
  const id = nonEmptyString(options.id, 'rateLimit: id');
  const timeoutMs = positiveMs(options.redisTimeoutMs ?? 1000, 'rateLimit: redisTimeoutMs');
  const onError = func(options.onError ?? ((err: Error) => console.error(err.message)), 'rateLimit: onError');
  const { client, owned } = redisClient(options.redis);
  return new RedisBucket(client, owned, KEY_PREFIX + id, ratePerSecond, burst, timeoutMs, onError);
}

/** Your client as is; otherwise a lazy connection that never queues or replays a command while down. */
function redisClient(value: unknown): { client: RedisClient; owned: boolean } {
  if (isClient(value)) return { client: value, owned: false };
  const target = typeof value === 'string' ? redisUrl(value) : redisAddress(value);
  const settings: RedisOptions = {
    lazyConnect: true,
    enableOfflineQueue: false, // while disconnected a command fails at once: the call is decided locally
    maxRetriesPerRequest: 0, // commands in flight when the connection drops fail instead of waiting for it
    autoResendUnfulfilledCommands: false, // a decision nobody waits for must not take a token later
    retryStrategy: (times) => Math.min(times * 100, 1000),
  };
  const { Redis } = loadPeer<typeof import('ioredis')>('ioredis', 'rateLimit with redis');
  const client = typeof target === 'string' ? new Redis(target, settings) : new Redis({ ...target, ...settings });
  return { client, owned: true };
}

function isClient(value: unknown): value is RedisClient {
  const v = value as { evalsha?: unknown; eval?: unknown; ping?: unknown } | null;
  return typeof v === 'object' && v !== null && typeof v.evalsha === 'function' && typeof v.eval === 'function' && typeof v.ping === 'function';
}

function redisUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new TypeError(`rateLimit: redis must be a redis:// URL, { host, port, db, password } or an ioredis client, got ${describe(value)}`);
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') {
    throw new TypeError(`rateLimit: redis URL must start with redis:// or rediss://, got ${describe(value)}`);
  }
  if (url.hostname === '') throw new TypeError(`rateLimit: redis URL has no host: ${describe(value)}`);
  if (!/^(\/\d*)?$/.test(url.pathname)) throw new RangeError(`rateLimit: redis URL path must be a db number (/0), got ${describe(url.pathname)}`);
  return value;
}

function redisAddress(value: unknown): RedisOptions {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new TypeError(`rateLimit: redis must be a redis:// URL, { host, port, db, password } or an ioredis client, got ${describe(value)}`);
  }
  knownKeys(value, ['host', 'port', 'db', 'username', 'password'], 'rateLimit: redis');
  const { host = '127.0.0.1', port = 6379, db = 0, username, password } = value as RedisAddress;
  nonEmptyString(host, 'rateLimit: redis.host');
  integer(port, 'rateLimit: redis.port', 1, { max: 65535 });
  integer(db, 'rateLimit: redis.db', 0);
  for (const [name, v] of [['username', username], ['password', password]] as const) {
    if (v !== undefined && typeof v !== 'string') throw new TypeError(`rateLimit: redis.${name} must be a string, got ${describe(v)}`);
  }
  return { host, port, db, ...(username === undefined ? {} : { username }), ...(password === undefined ? {} : { password }) };
}
