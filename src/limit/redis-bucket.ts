import { createHash } from 'node:crypto';

/**
 * The shared token bucket, decided inside Redis in one script call (EVALSHA, one round trip): the same
 * GCRA state as `TokenBucket` (`base + n × interval`, never an accumulated float), on Redis's clock
 * (`TIME`, µs), so client clocks do not matter. Numbers are written with `%.17g`: Lua's default `%.14g`
 * would round a µs timestamp. A client whose rate differs from the stored one (a rolling change) goes on
 * from the same arrival time at its own interval; the key expires once the bucket is full again.
 * KEYS[1] the bucket; ARGV interval µs, tolerance µs ((burst - 1) × interval), 'reserve' | 'cancel',
 * max wait µs (-1: unbounded). Reserve returns the µs to wait for the token taken, or -1 (none in time).
 */
export const BUCKET_LUA = `
if redis.replicate_commands then redis.replicate_commands() end
local key, interval, tolerance = KEYS[1], tonumber(ARGV[1]), tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local base, n = now, 0
local s = redis.call('HMGET', key, 'b', 'n', 'i')
if s[1] then
  local b, k, i = tonumber(s[1]), tonumber(s[2]), tonumber(s[3])
  local tat = b + k * i
  if tat > now then
    if i == interval then base, n = b, k else base = tat end
  end
end
local wait = 0
if ARGV[3] == 'cancel' then
  if n > 0 then n = n - 1 elseif base > now then base = math.max(now, base - interval) end
else
  wait = base + n * interval - tolerance - now
  if wait <= interval * 1e-9 then wait = 0 end
  local max_wait = tonumber(ARGV[4])
  if max_wait >= 0 and wait > max_wait then return -1 end
  n = n + 1
end
local f = '%.17g'
redis.call('HSET', key, 'b', string.format(f, base), 'n', string.format(f, n), 'i', string.format(f, interval))
redis.call('PEXPIRE', key, math.max(1, math.ceil((base + n * interval - now) / 1000) + 1))
return math.ceil(wait)
`;
const BUCKET_SHA = createHash('sha1').update(BUCKET_LUA).digest('hex');

/** `decide` answers a wait in ms (≥ 0: the token is taken) or one of these. */
export const REFUSED = -1;
/** Redis cannot decide now (down, or no answer within the timeout): decide locally. */
export const UNAVAILABLE = -2;
/** The caller's own limit (its deadline) ran out before Redis answered. */
export const TOO_SLOW = -3;

/** Between probes of a Redis that failed: calls meanwhile are decided locally, never held. */
const PROBE_INTERVAL_MS = 1000;

/**
 * An ioredis `Redis` or `Cluster`: the commands keel sends. Described, not imported, so that keel's type
 * declarations do not need ioredis (an optional peer dependency) to be installed.
 */
export interface RedisClient {
  evalsha(...args: any[]): Promise<unknown>;
  eval(...args: any[]): Promise<unknown>;
  ping(): Promise<unknown>;
  on(event: 'error', listener: (err: Error) => void): unknown;
  readonly status: string;
}
interface Commands {
  evalsha(sha: string, keys: number, ...args: string[]): Promise<unknown>;
  eval(script: string, keys: number, ...args: string[]): Promise<unknown>;
  ping(): Promise<unknown>;
  status: string;
  connect(): Promise<void>;
  disconnect(): void;
}

/**
 * A token bucket in Redis, shared by every process using the same key. Never holds a caller longer than
 * its timeout: while Redis fails it answers UNAVAILABLE at once (tells `onError` once per outage) and
 * probes Redis with a PING at most once a second, from calls (no timer of its own).
 */
export class RedisBucket {
  private readonly redis: Commands;
  private readonly args: string[];
  private readonly cancelArgs: string[];
  private connecting: Promise<void> | undefined;
  private down = false;
  private probeAt = 0;
  private closed = false;
  private connectionError: Error | undefined;

  constructor(client: RedisClient, private readonly owned: boolean, private readonly key: string, ratePerSecond: number,
    burst: number, private readonly timeoutMs: number, private readonly onError: (err: Error) => void) {
    this.redis = client as unknown as Commands;
    // While not connected, commands fail with "Connection is closed.": the connection's error says why.
    if (owned) client.on('error', (err: Error) => (this.connectionError = err));
    const interval = 1e6 / ratePerSecond;
    this.args = [key, String(interval), String((burst - 1) * interval), 'reserve'];
    this.cancelArgs = [key, String(interval), '0', 'cancel', '0'];
  }

  /**
   * Takes a token, waiting at most `maxWaitMs` for it (0: only a free one; Infinity: any). Resolves the ms
   * to wait, REFUSED, UNAVAILABLE (Redis failed or did not answer within the timeout), or TOO_SLOW when
   * `limitMs` (below the timeout: the caller's deadline) passed first.
   */
  decide(maxWaitMs: number, limitMs: number): Promise<number> {
    if (this.closed) return Promise.resolve(UNAVAILABLE);
    if (this.down) {
      this.probe();
      return Promise.resolve(UNAVAILABLE);
    }
    const maxWaitUs = maxWaitMs === Infinity ? '-1' : String(Math.max(0, maxWaitMs) * 1000);
    const cut = limitMs < this.timeoutMs;
    return new Promise((resolve) => {
      let settled = false;
      let watchdog: NodeJS.Timeout | undefined;
      const silent = (): void => this.fail(new Error(`no answer within ${this.timeoutMs} ms`));
      const timer = setTimeout(() => {
        settled = true;
        resolve(cut ? TOO_SLOW : UNAVAILABLE);
        // A caller cut short by its deadline still tells a silent Redis apart from a slow one.
        if (cut) watchdog = setTimeout(silent, this.timeoutMs - limitMs);
        else silent();
      }, cut ? Math.max(0, limitMs) : this.timeoutMs);
      this.run([...this.args, maxWaitUs]).then((reply) => {
        const waitUs = Number(reply);
        clearTimeout(watchdog);
        if (settled) {
          if (waitUs >= 0) this.cancel(); // taken for a call that no longer waits for it
          return;
        }
        clearTimeout(timer);
        resolve(waitUs >= 0 ? waitUs / 1000 : REFUSED);
      }, (err: Error) => {
        clearTimeout(watchdog);
        clearTimeout(timer);
        this.fail(err);
        resolve(UNAVAILABLE); // no effect when already settled
      });
    });
  }

  /** Gives back a token taken by `decide` whose call will not happen. Best effort, not awaited. */
  cancel(): void {
    if (!this.closed && !this.down) this.run(this.cancelArgs).catch(() => undefined);
  }

  /** Closes the connection if keel opened it (your own client stays open). Later calls decide locally. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.owned && this.redis.status !== 'end' && this.redis.status !== 'wait') this.redis.disconnect();
  }

  /** One EVALSHA; EVAL when the script is not cached (a restarted Redis). Connects on first use. */
  private run(args: string[]): Promise<unknown> {
    if (this.owned && this.redis.status === 'wait') {
      this.connecting ??= this.redis.connect().finally(() => (this.connecting = undefined));
    }
    const send = (): Promise<unknown> => this.redis.evalsha(BUCKET_SHA, 1, ...args).catch((err: Error) =>
      /NOSCRIPT/.test(err.message) ? this.redis.eval(BUCKET_LUA, 1, ...args) : Promise.reject(err));
    return this.connecting === undefined ? send() : this.connecting.then(send);
  }

  private fail(err: Error): void {
    if (this.down || this.closed) return;
    this.down = true;
    this.probeAt = Date.now() + PROBE_INTERVAL_MS;
    if (this.redis.status !== 'ready' && this.connectionError !== undefined) err = this.connectionError;
    this.onError(new Error(`rateLimit: Redis failed for ${this.key} (${err.message}); deciding in each process until it answers`, { cause: err }));
  }

  private probe(): void {
    const now = Date.now();
    if (now < this.probeAt) return;
    this.probeAt = now + PROBE_INTERVAL_MS;
    // An owned connection whose first attempt failed may have given up: start it again.
    if (this.owned && (this.redis.status === 'end' || this.redis.status === 'wait')) this.redis.connect().catch(() => undefined);
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise((_, reject) => (timer = setTimeout(() => reject(new Error('probe timed out')), this.timeoutMs)));
    Promise.race([this.redis.ping(), late]).then(() => {
      if (!this.closed) this.down = false;
    }, () => undefined).finally(() => clearTimeout(timer));
  }
}
