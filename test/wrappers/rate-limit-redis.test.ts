import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, before, describe, it, type TestContext } from 'node:test';
import { Metadata, status } from '@grpc/grpc-js';
import { Redis } from 'ioredis';
import { isKeelError, randomSelector, rateLimit, wrapClient, type Call, type CallContext } from '../../src/index';
import { eventually } from '../support/basis';
import { startRedis, type RedisServer } from '../support/redis-server';
import { ctx, wrapped } from '../support/call-context';

const SUITE = 'rateLimit({ redis }) tests';
const servers: RedisServer[] = [];
const children: ChildProcess[] = [];
const closers: Array<() => Promise<unknown>> = [];
let shared: RedisServer | undefined;
before(async () => {
  shared = await startRedis(SUITE);
  if (shared) servers.push(shared);
});
after(async () => {
  for (const child of children) child.kill('SIGKILL');
  await Promise.all(closers.map((close) => close()));
  await Promise.all(servers.map((s) => s.stop()));
});

const ok: Call = async () => 'ok';
let ids = 0;
const uniqueId = (what: string): string => `test-${what}-${process.pid}-${++ids}`;
/** The shared server, or a skipped test when KEEL_SKIP_E2E=1 let it be missing. */
const server = (t: TestContext): RedisServer | undefined => {
  if (shared === undefined) t.skip('no redis-server (KEEL_SKIP_E2E=1)');
  return shared;
};
const limiter = (...args: Parameters<typeof rateLimit>): ReturnType<typeof rateLimit> => {
  const l = rateLimit(...args);
  closers.push(() => l.close());
  return l;
};
const isReason = (reason: string, code: status) => (err: unknown): boolean => isKeelError(err) && err.reason === reason && err.code === code;

describe('rateLimit({ redis, id }): one limit shared through a real redis-server', () => {
  it('holds 100/s across 3 processes: over 3 s, at most rate × T + burst calls and at least 97 % of it', { timeout: 30_000 }, async (t) => {
    const redis = server(t);
    if (!redis) return;
    const id = uniqueId('accuracy');
    const peers = [0, 1, 2].map(() => peer(['greedy', redis.url, id, '100', '10', '8']));
    for (const p of peers) await eventually(() => p.lines.includes('ready'), 'a peer connected and ready', 15_000);
    const startAt = Date.now() + 300; // the warm-up calls' 3 tokens are back by then (10 ms each)
    for (const p of peers) p.child.stdin?.end(`${startAt} 3000\n`);
    const admitted = await Promise.all(peers.map(async (p) => {
      assert.equal(await p.exited, 0, p.lines.join('\n'));
      return (JSON.parse(p.lines.at(-1) ?? '{}') as { admitted: number }).admitted;
    }));
    const total = admitted.reduce((a, b) => a + b, 0);
    const bound = 100 * 3 + 10;
    t.diagnostic(`admitted ${total} of at most ${bound}: ${admitted.join(' + ')}`);
    // Never above: every admission is a GCRA decision in Redis. Below only by timer lateness at the edges
    // of the window (a late first call, last sleepers waking after the end): ms, i.e. a token or two.
    assert.ok(total <= bound, `admitted ${total} > ${bound} (${admitted.join(' + ')})`);
    assert.ok(total >= 0.97 * bound, `admitted ${total} < 97 % of ${bound} (${admitted.join(' + ')})`);
    // Reservations are served in arrival order at Redis, so greedy peers share the rate.
    for (const n of admitted) assert.ok(n >= 0.2 * total, `unfair split: ${admitted.join(' + ')}`);
  });

  it('with wait: false, instances sharing an id share one bucket and refuse at once with RESOURCE_EXHAUSTED / rate_limited', async (t) => {
    const redis = server(t);
    if (!redis) return;
    const id = uniqueId('nowait');
    const a = wrapped([limiter(0.5, { burst: 2, wait: false, redis: redis.url, id })], ok);
    const b = wrapped([limiter(0.5, { burst: 2, wait: false, redis: { host: '127.0.0.1', port: redis.port }, id })], ok);
    assert.equal(await a({}, ctx()), 'ok');
    assert.equal(await b({}, ctx()), 'ok');
    const t0 = Date.now();
    await assert.rejects(a({}, ctx()), isReason('rate_limited', status.RESOURCE_EXHAUSTED));
    await assert.rejects(b({}, ctx()), isReason('rate_limited', status.RESOURCE_EXHAUSTED));
    assert.ok(Date.now() - t0 < 500, `refusals took ${Date.now() - t0} ms`);
    const other = wrapped([limiter(0.5, { burst: 2, wait: false, redis: redis.url, id: `${id}-other` })], ok);
    assert.equal(await other({}, ctx()), 'ok', 'another id has its own bucket');
  });

  it('with wait, fails at once with DEADLINE_EXCEEDED / deadline when the wait would outlast the deadline, else waits its turn', async (t) => {
    const redis = server(t);
    if (!redis) return;
    const id = uniqueId('deadline');
    let reached = 0;
    const next: Call = async () => ++reached;
    const a = wrapped([limiter(2, { redis: redis.url, id })], next);
    const b = wrapped([limiter(2, { redis: redis.url, id })], next);
    await a({}, ctx());
    let t0 = Date.now();
    await assert.rejects(b({}, ctx(Date.now() + 200)), isReason('deadline', status.DEADLINE_EXCEEDED));
    assert.ok(Date.now() - t0 < 150, `it failed after ${Date.now() - t0} ms instead of at once`);
    assert.equal(reached, 1);
    t0 = Date.now();
    await b({}, ctx(Date.now() + 2000)); // the next token is about 500 ms after the first call
    const waited = Date.now() - t0;
    assert.ok(waited >= 250 && waited < 1500, `waited ${waited} ms for a token due in about 500 ms`);
    assert.equal(reached, 2);
  });

  it('a call aborted while waiting fails as cancelled and gives its token back to the shared bucket', async (t) => {
    const redis = server(t);
    if (!redis) return;
    const id = uniqueId('abort');
    const call = wrapped([limiter(2, { redis: redis.url, id })], ok);
    await call({}, ctx());
    const controller = new AbortController();
    const waiting = call({}, ctx(undefined, controller.signal));
    setTimeout(() => controller.abort(), 50);
    await assert.rejects(waiting, isReason('cancelled', status.CANCELLED));
    const t0 = Date.now();
    await call({}, ctx()); // with the token back: about 450 ms; without it, about 950 ms
    assert.ok(Date.now() - t0 < 750, `the next call waited ${Date.now() - t0} ms: the token was not given back`);
  });

  it('when Redis crashes, calls are limited by the process\'s own bucket at once (onError once), and shared again when it is back', { timeout: 20_000 }, async (t) => {
    if (!server(t)) return;
    const redis = await startRedis(SUITE) as RedisServer;
    servers.push(redis);
    const errors: Error[] = [];
    const id = uniqueId('crash');
    const call = wrapped([limiter(4, { burst: 1, wait: false, redis: redis.url, id, onError: (e) => errors.push(e) })], ok);
    assert.equal(await call({}, ctx()), 'ok');
    await assert.rejects(call({}, ctx()), isReason('rate_limited', status.RESOURCE_EXHAUSTED));
    await redis.crash();
    const t0 = Date.now();
    assert.equal(await call({}, ctx()), 'ok', 'the local bucket starts full');
    await assert.rejects(call({}, ctx()), isReason('rate_limited', status.RESOURCE_EXHAUSTED));
    assert.ok(Date.now() - t0 < 500, `calls took ${Date.now() - t0} ms with Redis down`);
    assert.equal(errors.length, 1);
    assert.match(errors[0]?.message ?? '', /Redis failed for keel:ratelimit:test-crash/);
    await redis.start();
    const raw = new Redis(redis.port, '127.0.0.1');
    closers.push(() => raw.quit());
    await eventually(async () => {
      await call({}, ctx()).catch(() => undefined);
      return (await raw.exists(`keel:ratelimit:${id}`)) === 1;
    }, 'decisions back in Redis after it restarted', 10_000);
    assert.equal(errors.length, 1, 'one outage, one onError');
  });

  it('when Redis hangs, a call waits at most redisTimeoutMs (then is decided locally) and never past its deadline', { timeout: 20_000 }, async (t) => {
    if (!server(t)) return;
    const redis = await startRedis(SUITE) as RedisServer;
    servers.push(redis);
    const errors: Error[] = [];
    const quick = wrapped([limiter(100, { redis: redis.url, id: uniqueId('hang'), redisTimeoutMs: 300, onError: (e) => errors.push(e) })], ok);
    const slow = wrapped([limiter(100, { redis: redis.url, id: uniqueId('hang'), redisTimeoutMs: 1000, onError: (e) => errors.push(e) })], ok);
    await quick({}, ctx());
    await slow({}, ctx());
    redis.pause();
    try {
      let t0 = Date.now();
      assert.equal(await quick({}, ctx()), 'ok');
      let took = Date.now() - t0;
      assert.ok(took >= 250 && took < 2000, `decided after ${took} ms, expected about 300`);
      t0 = Date.now();
      assert.equal(await quick({}, ctx()), 'ok');
      assert.ok(Date.now() - t0 < 100, `the next call still waited for Redis (${Date.now() - t0} ms)`);
      t0 = Date.now();
      await assert.rejects(slow({}, ctx(Date.now() + 150)), isReason('deadline', status.DEADLINE_EXCEEDED));
      took = Date.now() - t0;
      assert.ok(took >= 100 && took < 600, `failed after ${took} ms for a 150 ms deadline`);
      // Its Redis answer never came within redisTimeoutMs: later calls do not wait for it either.
      await eventually(() => errors.length === 2, 'the silent Redis reported for the second limiter', 3000);
      t0 = Date.now();
      assert.equal(await slow({}, ctx(Date.now() + 150)), 'ok');
      assert.ok(Date.now() - t0 < 100);
      assert.match(errors[0]?.message ?? '', /no answer within 300 ms/);
    } finally {
      redis.resume();
    }
  });

  it('with Redis unreachable from the start, the first call is decided locally at once', async (t) => {
    if (!server(t)) return;
    const gone = await startRedis(SUITE) as RedisServer;
    const url = gone.url;
    await gone.stop();
    const errors: Error[] = [];
    const call = wrapped([limiter(1, { wait: false, redis: url, id: uniqueId('unreachable'), onError: (e) => errors.push(e) })], ok);
    const t0 = Date.now();
    assert.equal(await call({}, ctx()), 'ok');
    await assert.rejects(call({}, ctx()), isReason('rate_limited', status.RESOURCE_EXHAUSTED));
    assert.ok(Date.now() - t0 < 1000, `took ${Date.now() - t0} ms`);
    assert.equal(errors.length, 1);
  });

  it('close() ends the connection keel opened: the process exits by itself (and does not without it)', { timeout: 30_000 }, async (t) => {
    const redis = server(t);
    if (!redis) return;
    const closed = peer(['lifecycle', redis.url, uniqueId('life')]);
    const open = peer(['lifecycle', redis.url, uniqueId('life'), 'no-close']);
    const kill = setTimeout(() => closed.child.kill('SIGKILL'), 10_000);
    assert.equal(await closed.exited, 0, `the peer was still running 10 s after close(): ${closed.lines.join('\n')}`);
    clearTimeout(kill);
    assert.deepEqual(closed.lines, ['done']);
    await eventually(() => open.lines.includes('done'), 'the unclosed peer made its call', 10_000);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    assert.equal(open.child.exitCode, null, 'without close() the connection should keep the process alive');
    open.child.kill('SIGKILL');
  });

  it('uses your ioredis client as is, and leaves it open on close()', async (t) => {
    const redis = server(t);
    if (!redis) return;
    const client = new Redis(redis.port, '127.0.0.1');
    closers.push(() => client.quit());
    const id = uniqueId('own');
    const mine = limiter(0.5, { burst: 1, wait: false, redis: client, id });
    const byUrl = wrapped([limiter(0.5, { burst: 1, wait: false, redis: redis.url, id })], ok);
    assert.equal(await wrapped([mine], ok)({}, ctx()), 'ok');
    await assert.rejects(byUrl({}, ctx()), isReason('rate_limited', status.RESOURCE_EXHAUSTED));
    await mine.close();
    assert.equal(await client.ping(), 'PONG');
  });

  it('rejects bad options, naming them', () => {
    const url = 'redis://127.0.0.1:6379';
    assert.throws(() => rateLimit(5, { redis: url }), { name: 'TypeError', message: /id is required with redis/ });
    assert.throws(() => rateLimit(5, { id: 'x' }), { name: 'TypeError', message: /id applies only with redis/ });
    assert.throws(() => rateLimit(5, { redisTimeoutMs: 10 }), { name: 'TypeError', message: /redisTimeoutMs applies only with redis/ });
    assert.throws(() => rateLimit(5, { redis: url, id: '' }), { name: 'TypeError', message: /rateLimit: id/ });
    assert.throws(() => rateLimit(5, { redis: url, id: 7 as never }), { name: 'TypeError', message: /rateLimit: id/ });
    assert.throws(() => rateLimit(5, { redis: 'localhost', id: 'x' }), { name: 'TypeError', message: /redis must be a redis:\/\/ URL/ });
    assert.throws(() => rateLimit(5, { redis: 'http://127.0.0.1:6379', id: 'x' }), { name: 'TypeError', message: /redis URL must start with redis:\/\// });
    assert.throws(() => rateLimit(5, { redis: `${url}/x`, id: 'x' }), { name: 'RangeError', message: /db number/ });
    assert.throws(() => rateLimit(5, { redis: 42 as never, id: 'x' }), { name: 'TypeError', message: /redis must be/ });
    assert.throws(() => rateLimit(5, { redis: { port: 70000 }, id: 'x' }), { name: 'RangeError', message: /redis\.port/ });
    assert.throws(() => rateLimit(5, { redis: { db: -1 }, id: 'x' }), { name: 'RangeError', message: /redis\.db/ });
    assert.throws(() => rateLimit(5, { redis: { host: '' }, id: 'x' }), { name: 'TypeError', message: /redis\.host/ });
    assert.throws(() => rateLimit(5, { redis: { password: 1 as never }, id: 'x' }), { name: 'TypeError', message: /redis\.password/ });
    assert.throws(() => rateLimit(5, { redis: { hots: 'x' } as never, id: 'x' }), { name: 'TypeError', message: /unknown option "hots"/ });
    assert.throws(() => rateLimit(5, { redis: url, id: 'x', redisTimeoutMs: 0 }), { name: 'RangeError', message: /redisTimeoutMs/ });
    assert.throws(() => rateLimit(5, { redis: url, id: 'x', onError: 'log' as never }), { name: 'TypeError', message: /onError/ });
  });

  it('without redis, close() is a no-op', async () => {
    const l = rateLimit(5);
    await l.close();
    assert.equal(await wrapped([l], ok)({}, ctx()), 'ok');
  });
});

/** A separate process sharing the limit (test/fixtures/limit-peer.ts). */
function peer(args: string[]): { child: ChildProcess; lines: string[]; exited: Promise<number | string | null> } {
  const child = spawn(process.execPath, [join(__dirname, '..', 'fixtures', 'limit-peer.js'), ...args], { stdio: ['pipe', 'pipe', 'inherit'] });
  children.push(child);
  const lines: string[] = [];
  createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) => lines.push(line));
  const exited = new Promise<number | string | null>((resolve) => child.on('close', (code, signal) => resolve(code ?? signal)));
  return { child, lines, exited };
}
