// The small pure parts of the shippy example: the duration variable, the watch feed, vessel choice, validation.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseDurationMs, requestTimeoutMs } from '../../examples/shippy/config';
import { invalid } from '../../examples/shippy/consignment-service';
import { Feed } from '../../examples/shippy/feed';
import { FLEET, findAvailable } from '../../examples/shippy/vessel-service';

describe('MICRO_CLIENT_REQUEST_TIMEOUT', () => {
  const cases: Array<[string, number]> = [['5s', 5000], ['500ms', 500], ['1.5s', 1500], ['1m30s', 90_000], ['2h', 7_200_000], ['250', 250], [' 3s ', 3000]];
  for (const [text, ms] of cases) it(`${JSON.stringify(text)} is ${ms} ms`, () => assert.equal(parseDurationMs(text, 'X'), ms));
  for (const bad of ['', 'fast', '5 s', '-1s', '0s', '5sec', 's']) {
    it(`${JSON.stringify(bad)} is refused, naming the variable`, () => assert.throws(() => parseDurationMs(bad, 'MICRO_CLIENT_REQUEST_TIMEOUT'), { name: 'RangeError', message: /MICRO_CLIENT_REQUEST_TIMEOUT/ }));
  }
  it('defaults to go-micro\'s 5 s when unset or empty', () => {
    assert.equal(requestTimeoutMs({}), 5000);
    assert.equal(requestTimeoutMs({ MICRO_CLIENT_REQUEST_TIMEOUT: '' }), 5000);
    assert.equal(requestTimeoutMs({ MICRO_CLIENT_REQUEST_TIMEOUT: '800ms' }), 800);
  });
});

describe('the watch feed', () => {
  const take = async <T>(it: AsyncIterator<T>, n: number): Promise<T[]> => {
    const out: T[] = [];
    for (let i = 0; i < n; i++) out.push((await it.next()).value as T);
    return out;
  };

  it('gives every open watcher each item published after it opened, in order', async () => {
    const feed = new Feed<number>();
    const a = feed.watch(new AbortController().signal);
    const first = a.next(); // the generator subscribes when first pulled
    await new Promise((r) => setImmediate(r));
    feed.publish(1);
    const b = feed.watch(new AbortController().signal);
    const bFirst = b.next();
    await new Promise((r) => setImmediate(r));
    feed.publish(2);
    feed.publish(3);
    assert.deepEqual([(await first).value, ...(await take(a, 2))], [1, 2, 3]);
    assert.deepEqual([(await bFirst).value, ...(await take(b, 1))], [2, 3]);
    assert.equal(feed.size, 2);
  });

  it('ends streams on close (after what they were sent) and on abort, and refuses new ones once closed', async () => {
    const feed = new Feed<string>();
    const abort = new AbortController();
    const a = feed.watch(new AbortController().signal);
    const b = feed.watch(abort.signal);
    const [pa, pb] = [a.next(), b.next()];
    await new Promise((r) => setImmediate(r));
    abort.abort();
    assert.deepEqual(await pb, { value: undefined, done: true });
    feed.publish('x');
    feed.close();
    assert.deepEqual(await pa, { value: 'x', done: false });
    assert.deepEqual(await a.next(), { value: undefined, done: true });
    assert.equal(feed.size, 0);
    assert.deepEqual(await feed.watch(new AbortController().signal).next(), { value: undefined, done: true });
  });

  it('cuts off a watcher that falls more than maxPending behind, with RESOURCE_EXHAUSTED', async () => {
    const feed = new Feed<number>(3);
    const slow = feed.watch(new AbortController().signal);
    const first = slow.next();
    await new Promise((r) => setImmediate(r));
    for (let i = 1; i <= 5; i++) feed.publish(i);
    await assert.rejects(first, { code: 8 });
    assert.equal(feed.size, 0);
    assert.throws(() => new Feed(0), { name: 'RangeError', message: /maxPending/ });
  });
});

describe('vessel choice and consignment validation', () => {
  const cases: Array<[number, number, string | undefined]> = [[3, 55_000, 'vessel001'], [500, 200_000, 'vessel001'], [501, 1, 'vessel002'],
    [1, 200_001, 'vessel002'], [20_001, 1, undefined], [1, 300_000_000, undefined]];
  for (const [capacity, max_weight, id] of cases) {
    it(`${capacity} container(s), ${max_weight} kg → ${id ?? 'none'}`, () => assert.equal(findAvailable(FLEET, { capacity, max_weight })?.id, id));
  }
  it('skips vessels that are not available', () => {
    assert.equal(findAvailable(FLEET.map((v) => ({ ...v, available: v.id !== 'vessel001' })), { capacity: 1, max_weight: 1 })?.id, 'vessel002');
  });
  it('refuses a consignment without a description, a positive weight or containers', () => {
    const ok = { description: 'd', weight: 1, containers: [{ origin: 'o' }] };
    assert.equal(invalid(ok), undefined);
    assert.match(invalid({ ...ok, description: '' }) ?? '', /description/);
    assert.match(invalid({ ...ok, weight: 0 }) ?? '', /weight/);
    assert.match(invalid({ ...ok, weight: 1.5 }) ?? '', /weight/);
    assert.match(invalid({ ...ok, containers: [] }) ?? '', /container/);
  });
});
